// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {VersionBound} from "../VersionBound.sol";

/// @title RatingBoard
/// @notice The README's example of a third-party contract bound to the live model version.
contract RatingBoard is VersionBound {
    /// @notice `from` rated the model `score` while `version` was live in `epoch`.
    event Rated(
        bytes32 indexed modelId,
        uint32 indexed epoch,
        uint32 version,
        address from,
        uint8 score
    );

    constructor(IModelRegistry registry_) VersionBound(registry_) {}

    /// @notice Rates the model, only if `expectedVersion` (and `expectedEpoch`, unless 0) is live.
    function rate(
        bytes32 modelId,
        uint32 expectedVersion,
        uint32 expectedEpoch,
        uint8 score
    ) external {
        uint32 epoch = _requireLive(modelId, expectedVersion, expectedEpoch);
        emit Rated(modelId, epoch, expectedVersion, msg.sender, score);
    }
}
