// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";

import {IInferenceAnchor} from "./interfaces/IInferenceAnchor.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {INodeRouting} from "./interfaces/INodeRouting.sol";

/**
 * @title NodeRouting
 * @notice Nodes' acknowledgements of the epoch they serve. See {INodeRouting}.
 *
 * Who could game what, and what stops them:
 * - A node could acknowledge an epoch it does not serve (to stay routable while serving the
 *   rolled-back version): its later records claiming the old version contradict its own
 *   acknowledgement, and the incident report flags them against the acknowledgement's time.
 * - A node could acknowledge an epoch that is not live (ahead of a promotion, or an old one):
 *   refused; only the live epoch, at the block's time.
 * - Anyone could acknowledge for a node: the node is always `msg.sender`, and must be an operator
 *   of the model on the anchor (the account that anchors its records).
 * - A node could try to rewrite when it switched: acknowledgements are append-only, one per epoch,
 *   times from the block; a removed operator's acknowledgements stay (as history: it is not
 *   routable once removed, even before the next switch).
 * - Governance has no say here: there is no admin, no pause, nothing to configure.
 */
contract NodeRouting is INodeRouting {
    /// @notice The registry whose live epoch is acknowledged.
    IModelRegistry public immutable registry;
    /// @notice The anchor whose operators are the nodes.
    IInferenceAnchor public immutable anchor;

    mapping(bytes32 modelId => mapping(address node => Acknowledgement[])) private _acks;

    constructor(IModelRegistry modelRegistry, IInferenceAnchor inferenceAnchor) {
        registry = modelRegistry;
        anchor = inferenceAnchor;
    }

    /// @inheritdoc INodeRouting
    function acknowledge(bytes32 modelId, uint32 epoch) external {
        if (!anchor.isOperator(modelId, msg.sender)) {
            revert NodeRoutingNotOperator(modelId, msg.sender);
        }
        (uint32 version, uint32 liveEpoch, ) = registry.live(modelId);
        if (epoch != liveEpoch || liveEpoch == 0)
            revert NodeRoutingNotLive(modelId, epoch, liveEpoch);
        Acknowledgement[] storage acks = _acks[modelId][msg.sender];
        uint256 n = acks.length;
        // Epochs only grow and only the live one is accepted: a repeat is the last one.
        if (n != 0 && acks[n - 1].epoch == epoch) {
            revert NodeRoutingAlreadyAcknowledged(modelId, msg.sender, epoch, acks[n - 1].at);
        }
        uint48 nowTs = Time.timestamp();
        acks.push(Acknowledgement({epoch: epoch, at: nowTs}));
        emit EpochAcknowledged(modelId, msg.sender, epoch, version, nowTs);
    }

    /// @inheritdoc INodeRouting
    function lastAcknowledged(
        bytes32 modelId,
        address node
    ) external view returns (uint32 epoch, uint48 at) {
        Acknowledgement[] storage acks = _acks[modelId][node];
        uint256 n = acks.length;
        if (n == 0) return (0, 0);
        Acknowledgement memory last = acks[n - 1];
        return (last.epoch, last.at);
    }

    /// @inheritdoc INodeRouting
    function acknowledgedAt(
        bytes32 modelId,
        address node,
        uint32 epoch
    ) external view returns (uint48) {
        Acknowledgement[] storage acks = _acks[modelId][node];
        // In epoch order (strictly increasing): binary search.
        uint256 lo = 0;
        uint256 hi = acks.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            uint32 e = acks[mid].epoch;
            if (e == epoch) return acks[mid].at;
            if (e < epoch) lo = mid + 1;
            else hi = mid;
        }
        return 0;
    }

    /// @inheritdoc INodeRouting
    function isRoutable(bytes32 modelId, address node) external view returns (bool) {
        (, uint32 liveEpoch, ) = registry.live(modelId);
        Acknowledgement[] storage acks = _acks[modelId][node];
        uint256 n = acks.length;
        return
            liveEpoch != 0 &&
            n != 0 &&
            acks[n - 1].epoch == liveEpoch &&
            anchor.isOperator(modelId, node);
    }

    /// @inheritdoc INodeRouting
    function acknowledgementCount(bytes32 modelId, address node) external view returns (uint256) {
        return _acks[modelId][node].length;
    }

    /// @inheritdoc INodeRouting
    function acknowledgementsOf(
        bytes32 modelId,
        address node,
        uint256 offset,
        uint256 limit
    ) external view returns (Acknowledgement[] memory page) {
        Acknowledgement[] storage acks = _acks[modelId][node];
        uint256 n = acks.length;
        if (offset >= n) return new Acknowledgement[](0);
        uint256 end = limit > n - offset ? n : offset + limit;
        page = new Acknowledgement[](end - offset);
        for (uint256 i = offset; i < end; ++i) page[i - offset] = acks[i];
    }
}
