// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {InferenceRecord} from "../libraries/InferenceRecordLib.sol";

/**
 * @title IAgentActionLog
 * @notice Agents record the actions they took because of an inference, bound to the model version
 * and epoch live when they act, and, with a proof, to the version that actually served the
 * inference. Append-only: actions are never changed or removed.
 */
interface IAgentActionLog {
    /**
     * @notice One logged action. `liveVersion` / `liveEpoch`: what was live when it was logged
     * (0 while paused or nothing live). `servedVersion` / `servedEpoch` / `servedFlags`: proven from
     * the anchored record (0 for an unproven action; `servedEpoch` is the epoch live at the record's
     * `servedAt`, 0 if none or not yet final).
     */
    struct Action {
        address agent;
        uint48 loggedAt;
        bool proven;
        uint32 liveVersion;
        uint32 liveEpoch;
        uint32 servedVersion;
        uint32 servedEpoch;
        bytes32 modelId;
        bytes32 requestId;
        bytes32 actionHash;
        uint256 servedFlags;
    }

    /// @notice An action was logged.
    event ActionLogged(
        uint256 indexed actionId,
        address indexed agent,
        bytes32 indexed modelId,
        Action action,
        string uri
    );

    /// @notice The record is not the agent's record of this request and model.
    error ActionLogRecordMismatch(bytes32 modelId, bytes32 requestId, address agent);
    /// @notice The record is not in the anchored batch.
    error ActionLogRecordNotIncluded(bytes32 modelId, bytes32 root);
    /// @notice No action with this id.
    error ActionLogUnknownAction(uint256 actionId);

    /**
     * @notice Logs an action the caller (the agent) took because of inference `requestId`, bound
     * to the live version and epoch.
     * @dev Emits {ActionLogged}.
     */
    function log(
        bytes32 modelId,
        bytes32 requestId,
        bytes32 actionHash,
        string calldata uri
    ) external returns (uint256 actionId);

    /**
     * @notice Like {log}, and also proves with the anchored record which version served the
     * inference, so that an action logged after a rollback about an output served before it is
     * attributed to the version that served it.
     * @dev Emits {ActionLogged}.
     */
    function logWithProof(
        bytes32 modelId,
        bytes32 requestId,
        bytes32 actionHash,
        string calldata uri,
        bytes32 root,
        InferenceRecord calldata record,
        bytes32[] calldata proof
    ) external returns (uint256 actionId);

    /// @notice One action.
    function getAction(uint256 actionId) external view returns (Action memory);

    /// @notice How many actions were logged.
    function actionCount() external view returns (uint256);

    /// @notice How many actions were logged while `epoch` was live.
    function actionsInLiveEpoch(bytes32 modelId, uint32 epoch) external view returns (uint256);

    /// @notice How many proven actions were about inferences served in `epoch`.
    function actionsServedInEpoch(bytes32 modelId, uint32 epoch) external view returns (uint256);

    /// @notice How many proven actions were about inferences served by `version`.
    function actionsServedByVersion(
        bytes32 modelId,
        uint32 version
    ) external view returns (uint256);
}
