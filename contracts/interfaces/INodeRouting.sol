// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title INodeRouting
 * @notice Which epoch each node of a model says it serves: an operator of a model acknowledges the
 * model's live epoch once it has switched to it. Every acknowledgement is kept, in order, with the
 * time of its block; none is ever overwritten or removed. A node that acknowledged the live epoch
 * is routable; after a rollback, agents (and `InferenceSettlement`, when the payer asks) can tell
 * a node that switched from one still serving the rolled-back version.
 */
interface INodeRouting {
    /// @notice One acknowledgement: the epoch and when (block time). One storage slot.
    struct Acknowledgement {
        uint32 epoch;
        uint48 at;
    }

    /// @notice `node` acknowledged `epoch` of `modelId` (live then, serving `version`) at `at`.
    event EpochAcknowledged(
        bytes32 indexed modelId,
        address indexed node,
        uint32 indexed epoch,
        uint32 version,
        uint48 at
    );

    /// @notice `node` is not an operator of `modelId` on the anchor.
    error NodeRoutingNotOperator(bytes32 modelId, address node);
    /// @notice `epoch` is not the live epoch of `modelId` (`liveEpoch`; 0 while nothing is live).
    error NodeRoutingNotLive(bytes32 modelId, uint32 epoch, uint32 liveEpoch);
    /// @notice `node` acknowledged `epoch` of `modelId` already, at `at`.
    error NodeRoutingAlreadyAcknowledged(bytes32 modelId, address node, uint32 epoch, uint48 at);

    /**
     * @notice Acknowledges, as the calling operator, that it now serves `epoch`, the live epoch of
     * `modelId`. Reverts {NodeRoutingNotOperator}, {NodeRoutingNotLive} (another epoch, a pause, a
     * model with nothing live) or {NodeRoutingAlreadyAcknowledged}.
     */
    function acknowledge(bytes32 modelId, uint32 epoch) external;

    /// @notice The last epoch `node` acknowledged for `modelId` and when (0, 0 if never).
    function lastAcknowledged(
        bytes32 modelId,
        address node
    ) external view returns (uint32 epoch, uint48 at);

    /// @notice When `node` acknowledged `epoch` of `modelId` (0 if it did not).
    function acknowledgedAt(
        bytes32 modelId,
        address node,
        uint32 epoch
    ) external view returns (uint48);

    /// @notice Whether `node` acknowledged the live epoch of `modelId` and is still an operator of
    /// the model on the anchor (false while nothing is live).
    function isRoutable(bytes32 modelId, address node) external view returns (bool);

    /// @notice How many acknowledgements `node` made for `modelId`.
    function acknowledgementCount(bytes32 modelId, address node) external view returns (uint256);

    /// @notice Acknowledgements `[offset, offset + limit)` of `node` for `modelId`, in order.
    function acknowledgementsOf(
        bytes32 modelId,
        address node,
        uint256 offset,
        uint256 limit
    ) external view returns (Acknowledgement[] memory);
}
