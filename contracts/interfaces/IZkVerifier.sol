// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title IZkVerifier
 * @notice A halo2 / EZKL style verifier of a model's execution, as generated per model.
 * @dev The public inputs are derived on-chain from the inference record by InferenceAnchor, never
 * taken from a caller.
 */
interface IZkVerifier {
    /// @notice Whether `proof` proves the execution for the public `instances`.
    function verifyProof(
        bytes calldata proof,
        uint256[] calldata instances
    ) external view returns (bool);
}
