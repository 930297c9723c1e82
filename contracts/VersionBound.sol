// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {IVersionBound} from "./interfaces/IVersionBound.sol";

/**
 * @title VersionBound
 * @notice Base for any contract that must act under the model version its caller expects. Inherit
 * it, then call {_requireLive} with the caller's expected version (and optionally epoch) before
 * acting; store the returned version and epoch beside what you record, so that after a rollback
 * one query finds everything that happened under the bad version.
 *
 * Who could game it: a caller cannot make a contract act under a version it did not expect (the
 * guard reverts), and a front-run promotion or rollback between signing and inclusion makes the
 * transaction revert instead of silently binding it to another version. Binding is by epoch id,
 * which stays exact even when several changes happen inside one block.
 */
abstract contract VersionBound is IVersionBound {
    /// @notice The registry that says which version is live.
    IModelRegistry public immutable registry;

    /// @param modelRegistry The model registry.
    constructor(IModelRegistry modelRegistry) {
        registry = modelRegistry;
    }

    /**
     * @notice The live version and epoch of `modelId`. Reverts while paused or when nothing is
     * live: there is no version to bind to.
     */
    function _live(bytes32 modelId) internal view returns (uint32 version, uint32 epoch) {
        // registry.live(modelId), called without allocating memory (this is on every settle's
        // path); the registry is trusted code, its answer is three ABI words.
        IModelRegistry r = registry;
        bytes4 selector = IModelRegistry.live.selector;
        bool ok;
        uint256 paused;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, selector)
            mstore(add(ptr, 0x04), modelId)
            ok := staticcall(gas(), r, ptr, 0x24, ptr, 0x60)
            if iszero(ok) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
            ok := iszero(lt(returndatasize(), 0x60))
            version := and(mload(ptr), 0xffffffff)
            epoch := and(mload(add(ptr, 0x20)), 0xffffffff)
            paused := mload(add(ptr, 0x40))
        }
        // Too short an answer: `registry` is not a model registry (no code there, for example).
        if (!ok) revert VersionBoundRegistryUnreadable(address(r));
        if (paused != 0) revert VersionBoundModelPaused(modelId);
        if (epoch == 0) revert VersionBoundNothingLive(modelId);
    }

    /**
     * @notice Requires `expectedVersion` to be live (and, if `expectedEpoch` is not 0, to be live in
     * that epoch), and returns the live epoch.
     */
    function _requireLive(
        bytes32 modelId,
        uint32 expectedVersion,
        uint32 expectedEpoch
    ) internal view returns (uint32 epoch) {
        uint32 version;
        (version, epoch) = _live(modelId);
        if (version != expectedVersion) {
            revert VersionBoundVersionMismatch(modelId, expectedVersion, version);
        }
        if (expectedEpoch != 0 && expectedEpoch != epoch) {
            revert VersionBoundEpochMismatch(modelId, expectedEpoch, epoch);
        }
    }
}
