// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";

import {IAgentActionLog} from "./interfaces/IAgentActionLog.sol";
import {IInferenceAnchor} from "./interfaces/IInferenceAnchor.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {InferenceRecord} from "./libraries/InferenceRecordLib.sol";

/**
 * @title AgentActionLog
 * @notice Actions agents took because of inferences, bound to versions. See {IAgentActionLog}.
 *
 * Who could game what, and what stops them:
 * - An agent could log an action in someone else's name: the agent is always `msg.sender`, and
 *   a proven action needs a record whose `agent` is the caller.
 * - An agent could blame a version that did not serve it: the served version comes from an
 *   anchored record verified on-chain, with its flags stored beside it (a stale-node record
 *   carries NotLive, a backdated one Unconfirmable), never from the agent's word.
 * - Nobody can rewrite the log: actions are append-only and times come from the block.
 */
contract AgentActionLog is IAgentActionLog {
    /// @notice The registry of model versions.
    IModelRegistry public immutable registry;
    /// @notice The anchor that proves which version served a record.
    IInferenceAnchor public immutable anchor;

    Action[] private _actions;
    mapping(bytes32 modelId => mapping(uint32 epoch => uint256)) private _inLiveEpoch;
    mapping(bytes32 modelId => mapping(uint32 epoch => uint256)) private _servedInEpoch;
    mapping(bytes32 modelId => mapping(uint32 version => uint256)) private _servedByVersion;

    /**
     * @param modelRegistry The model registry.
     * @param inferenceAnchor The inference anchor.
     */
    constructor(IModelRegistry modelRegistry, IInferenceAnchor inferenceAnchor) {
        registry = modelRegistry;
        anchor = inferenceAnchor;
    }

    /// @inheritdoc IAgentActionLog
    function log(
        bytes32 modelId,
        bytes32 requestId,
        bytes32 actionHash,
        string calldata uri
    ) external returns (uint256 actionId) {
        Action memory action = _liveAction(modelId, requestId, actionHash);
        return _append(action, uri);
    }

    /// @inheritdoc IAgentActionLog
    function logWithProof(
        bytes32 modelId,
        bytes32 requestId,
        bytes32 actionHash,
        string calldata uri,
        bytes32 root,
        InferenceRecord calldata record,
        bytes32[] calldata proof
    ) external returns (uint256 actionId) {
        if (
            record.requestId != requestId || record.modelId != modelId || record.agent != msg.sender
        ) {
            revert ActionLogRecordMismatch(modelId, requestId, msg.sender);
        }
        (bool included, uint256 flags, ) = anchor.verifyRecord(modelId, root, record, proof);
        if (!included) revert ActionLogRecordNotIncluded(modelId, root);

        Action memory action = _liveAction(modelId, requestId, actionHash);
        action.proven = true;
        action.servedVersion = record.version;
        action.servedFlags = flags;
        // The epoch at servedAt is final only once servedAt is in the past.
        if (record.servedAt < Time.timestamp()) {
            action.servedEpoch = registry.epochAt(modelId, record.servedAt);
        }
        _servedInEpoch[modelId][action.servedEpoch] += 1;
        _servedByVersion[modelId][record.version] += 1;
        return _append(action, uri);
    }

    /// @inheritdoc IAgentActionLog
    function getAction(uint256 actionId) external view returns (Action memory) {
        if (actionId >= _actions.length) revert ActionLogUnknownAction(actionId);
        return _actions[actionId];
    }

    /// @inheritdoc IAgentActionLog
    function actionCount() external view returns (uint256) {
        return _actions.length;
    }

    /// @inheritdoc IAgentActionLog
    function actionsInLiveEpoch(bytes32 modelId, uint32 epoch) external view returns (uint256) {
        return _inLiveEpoch[modelId][epoch];
    }

    /// @inheritdoc IAgentActionLog
    function actionsServedInEpoch(bytes32 modelId, uint32 epoch) external view returns (uint256) {
        return _servedInEpoch[modelId][epoch];
    }

    /// @inheritdoc IAgentActionLog
    function actionsServedByVersion(
        bytes32 modelId,
        uint32 version
    ) external view returns (uint256) {
        return _servedByVersion[modelId][version];
    }

    function _liveAction(
        bytes32 modelId,
        bytes32 requestId,
        bytes32 actionHash
    ) private view returns (Action memory action) {
        (uint32 liveVersion, uint32 liveEpoch, ) = registry.live(modelId);
        action.agent = msg.sender;
        action.loggedAt = Time.timestamp();
        action.liveVersion = liveVersion;
        action.liveEpoch = liveEpoch;
        action.modelId = modelId;
        action.requestId = requestId;
        action.actionHash = actionHash;
    }

    function _append(Action memory action, string calldata uri) private returns (uint256 actionId) {
        actionId = _actions.length;
        _actions.push(action);
        _inLiveEpoch[action.modelId][action.liveEpoch] += 1;
        emit ActionLogged(actionId, action.agent, action.modelId, action, uri);
    }
}
