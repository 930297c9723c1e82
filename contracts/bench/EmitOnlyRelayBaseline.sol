// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

/**
 * @title EmitOnlyRelayBaseline
 * @notice BENCHMARK BASELINE, not part of the suite: the shape of OpenGradient's settlement relay
 * `batchSettle(merkleRoot, batchSize, walrusBlobId)`, which only emits an event and stores no
 * root. `npm run bench` measures `InferenceAnchor.anchor` beside it.
 */
contract EmitOnlyRelayBaseline {
    /// @notice A batch was announced (and nothing was stored).
    event BatchSettled(bytes32 indexed merkleRoot, uint256 batchSize, string walrusBlobId);

    /// @notice Emits the batch.
    function batchSettle(
        bytes32 merkleRoot,
        uint256 batchSize,
        string calldata walrusBlobId
    ) external {
        emit BatchSettled(merkleRoot, batchSize, walrusBlobId);
    }
}
