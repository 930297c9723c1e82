// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title IVersionBound
 * @notice Errors of {VersionBound}: a contract that acts only under the model version its caller
 * expects, like a slippage guard.
 */
interface IVersionBound {
    /// @notice `registry.live` answered nothing usable: the address is not a model registry.
    error VersionBoundRegistryUnreadable(address registry);
    /// @notice The model is paused: nothing is live.
    error VersionBoundModelPaused(bytes32 modelId);
    /// @notice No version of the model is live.
    error VersionBoundNothingLive(bytes32 modelId);
    /// @notice The live version is not the one the caller expected.
    error VersionBoundVersionMismatch(bytes32 modelId, uint32 expected, uint32 live);
    /// @notice The live epoch is not the one the caller expected (the same version re-activated
    /// later is a different epoch).
    error VersionBoundEpochMismatch(bytes32 modelId, uint32 expected, uint32 live);
}
