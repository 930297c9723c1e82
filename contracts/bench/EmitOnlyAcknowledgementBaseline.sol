// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

/**
 * @title EmitOnlyAcknowledgementBaseline
 * @notice BENCHMARK BASELINE, not part of the suite: an acknowledgement that only emits
 * NodeRouting's event, checking nothing (no operator, no live epoch) and storing nothing, as an
 * off-chain-indexed announcement would. `npm run bench` measures `NodeRouting.acknowledge`
 * beside it.
 */
contract EmitOnlyAcknowledgementBaseline {
    /// @notice The same event as NodeRouting's.
    event EpochAcknowledged(
        bytes32 indexed modelId,
        address indexed node,
        uint32 indexed epoch,
        uint32 version,
        uint48 at
    );

    /// @notice Emits the acknowledgement, with the version the caller names.
    function acknowledge(bytes32 modelId, uint32 epoch, uint32 version) external {
        emit EpochAcknowledged(modelId, msg.sender, epoch, version, uint48(block.timestamp));
    }
}
