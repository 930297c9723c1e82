// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IModelRegistry} from "rollback-trail/contracts/interfaces/IModelRegistry.sol";
import {VersionBound} from "rollback-trail/contracts/VersionBound.sol";

/**
 * @title TipJar
 * @notice A third party's contract built on the installed package: an agent tips for an answer only
 * under the model version it expects, and the tip is stored with the epoch it was made in, so that
 * after a rollback one query finds every tip given under the bad version.
 */
contract TipJar is VersionBound {
    /// @notice A tip of `amount` wei by `from` under `version` of `modelId`, in `epoch`.
    event Tipped(
        bytes32 indexed modelId,
        uint32 indexed epoch,
        uint32 version,
        address from,
        uint256 amount
    );

    constructor(IModelRegistry registry_) VersionBound(registry_) {}

    /// @notice Tips under `expectedVersion`; reverts (VersionBound's errors) if it is not live.
    function tip(bytes32 modelId, uint32 expectedVersion) external payable returns (uint32 epoch) {
        epoch = _requireLive(modelId, expectedVersion, 0);
        emit Tipped(modelId, epoch, expectedVersion, msg.sender, msg.value);
    }
}
