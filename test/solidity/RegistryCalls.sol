// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IModelRegistry} from "../../contracts/interfaces/IModelRegistry.sol";

/**
 * @notice The one place the Solidity tests spell out {IModelRegistry-rollback}'s argument list.
 * `fromVersion` is the version the guardian means to take down (the current one).
 */
library RegistryCalls {
    /// @notice Rolls back (reverts bubble up, so `vm.expectRevert` applies).
    function rollback(
        IModelRegistry registry,
        bytes32 modelId,
        uint32 fromVersion,
        uint32 toVersion,
        IModelRegistry.Disposition disposition,
        bytes32 reasonHash,
        string memory reasonURI
    ) internal returns (uint32) {
        return
            registry.rollback(modelId, fromVersion, toVersion, disposition, reasonHash, reasonURI);
    }

    /// @notice The same rollback, for callers that tolerate a revert: returns whether it worked.
    function tryRollback(
        IModelRegistry registry,
        bytes32 modelId,
        uint32 fromVersion,
        uint32 toVersion,
        IModelRegistry.Disposition disposition
    ) internal returns (bool ok) {
        bytes memory data = abi.encodeCall(
            IModelRegistry.rollback,
            (modelId, fromVersion, toVersion, disposition, keccak256("reason"), "ipfs://incident")
        );
        // solhint-disable-next-line avoid-low-level-calls
        (ok, ) = address(registry).call(data);
    }
}
