// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {InferenceRecord} from "../libraries/InferenceRecordLib.sol";

/**
 * @title IInferenceSettlement
 * @notice Pay-before-serve settlements bound to the model version live when they settle. An agent
 * (the payer) escrows a payment for one inference request; the node (the payee) claims it after
 * the hold period; the payer is refunded if the bound version is marked Faulty before the
 * release time, or if the payer proves, before release, that the anchored record of the request
 * does not conform.
 *
 * Storage: one slot per settlement, holding a hash commitment of its {SettlementDetails} and its
 * state. The details are in the {Settled} event and are passed back in calldata to claim, refund
 * or challenge.
 */
interface IInferenceSettlement {
    /// @notice The lifecycle of a settlement. Nothing is ever deleted.
    enum SettlementState {
        None,
        Open,
        Claimed,
        Refunded
    }

    /// @notice Why a payment went back to the payer.
    enum RefundReason {
        VersionFaulty,
        Challenge
    }

    /// @notice What a settlement commits to. `settlementId = keccak256(abi.encode(payer, requestId))`.
    struct SettlementDetails {
        address payer;
        bytes32 requestId;
        bytes32 modelId;
        uint32 version;
        uint32 epoch;
        address payee;
        IERC20 token;
        uint256 amount;
        uint48 settledAt;
        uint48 releaseAt;
    }

    /// @notice Totals of one (model, epoch, token), readable on-chain without an indexer.
    struct Volume {
        uint64 settledCount;
        uint192 settledAmount;
        uint64 refundedCount;
        uint192 refundedAmount;
    }

    /// @notice A payment was escrowed under `version` / `epoch`.
    event Settled(
        bytes32 indexed settlementId,
        bytes32 indexed modelId,
        uint32 indexed epoch,
        SettlementDetails details
    );
    /// @notice The payee claimed the payment, to `to`.
    event Claimed(bytes32 indexed settlementId, address indexed payee, address to, uint256 amount);
    /// @notice The payer was refunded, to `to`. `flags` are the record's flags for a challenge.
    event Refunded(
        bytes32 indexed settlementId,
        address indexed payer,
        address to,
        uint256 amount,
        RefundReason reason,
        uint256 flags
    );
    /// @notice The hold period of future settlements changed.
    event HoldPeriodSet(uint32 oldPeriod, uint32 newPeriod);

    /// @notice A zero payee, recipient or amount.
    error SettlementZeroArgument();
    /// @notice The payer already settled this request id.
    error SettlementExists(bytes32 settlementId);
    /// @notice The token delivered less (or more) than `amount`: fee-on-transfer tokens are refused.
    error SettlementTransferMismatch(address token, uint256 expected, uint256 received);
    /// @notice No settlement matches these details.
    error SettlementUnknown(bytes32 settlementId);
    /// @notice The settlement was claimed or refunded already.
    error SettlementNotOpen(bytes32 settlementId, SettlementState state);
    /// @notice Only the payee claims; only the payer refunds or challenges.
    error SettlementUnauthorized(bytes32 settlementId, address caller);
    /// @notice The hold period has not ended.
    error SettlementNotReleased(bytes32 settlementId, uint48 releaseAt);
    /// @notice The bound version was marked Faulty before release: the payer is refunded instead.
    error SettlementVersionFaulty(bytes32 settlementId, uint48 faultyAt);
    /// @notice The bound version was paused before release and still is: claims wait.
    error SettlementModelPaused(bytes32 settlementId, uint48 pausedSince);
    /// @notice No Faulty marking of the bound version happened before release.
    error SettlementNotRefundable(bytes32 settlementId, uint48 faultyAt, uint48 releaseAt);
    /// @notice Challenges are only possible before release.
    error SettlementChallengeClosed(bytes32 settlementId, uint48 releaseAt);
    /// @notice The record is not this settlement's (request id, agent, model or node differ).
    error SettlementRecordMismatch(bytes32 settlementId);
    /// @notice The record is not in the anchored batch.
    error SettlementRecordNotIncluded(bytes32 settlementId, bytes32 root);
    /// @notice The record conforms: nothing to challenge.
    error SettlementRecordConforms(bytes32 settlementId, uint256 flags);
    /// @notice A hold period above the maximum.
    error SettlementInvalidHoldPeriod(uint32 value, uint32 max);

    /**
     * @notice Escrows `amount` of `token` for request `requestId`, to be served by `expectedVersion`
     * of `modelId` (and in `expectedEpoch`, unless 0). Binds the payment to the live version and
     * epoch. The caller is the payer.
     * @dev Emits {Settled}.
     */
    function settle(
        bytes32 modelId,
        uint32 expectedVersion,
        uint32 expectedEpoch,
        address payee,
        IERC20 token,
        uint256 amount,
        bytes32 requestId
    ) external returns (bytes32 settlementId);

    /**
     * @notice The payee takes the payment, to `to`, once `releaseAt` has passed, unless the bound
     * version's fault counts from before `releaseAt` (see IModelRegistry.faultyAt), or the bound
     * version is paused since before `releaseAt` (the guardian is investigating it).
     * @dev Emits {Claimed}.
     */
    function claim(SettlementDetails calldata details, address to) external;

    /**
     * @notice The payer takes the payment back, to `to`, if the bound version's fault counts from
     * before `releaseAt`: it was marked Faulty before, or a pause that began before it ended with
     * the version marked Faulty.
     * @dev Emits {Refunded}.
     */
    function refund(SettlementDetails calldata details, address to) external;

    /**
     * @notice Before `releaseAt`, the payer proves with the payee's anchored record of its request
     * that the service did not conform (not the paid version, served before payment, not live
     * then, unconfirmable, wrong blob, disallowed proof path, outside its batch's range, unknown
     * version or format) and takes the payment back, to `to`. Attestations are not judged here:
     * see IInferenceAnchor.verifyAttestation.
     * @dev Emits {Refunded}.
     */
    function challenge(
        SettlementDetails calldata details,
        bytes32 root,
        InferenceRecord calldata record,
        bytes32[] calldata proof,
        address to
    ) external;

    /**
     * @notice Sets the hold period of future settlements (GOVERNOR). Zero means release at once,
     * so no refund or challenge is possible.
     * @dev Emits {HoldPeriodSet}.
     */
    function setHoldPeriod(uint32 newPeriod) external;

    /// @notice The id of `payer`'s settlement of `requestId`.
    function settlementIdOf(address payer, bytes32 requestId) external pure returns (bytes32);

    /// @notice The state of a settlement.
    function stateOf(bytes32 settlementId) external view returns (SettlementState);

    /// @notice Totals of one (model, epoch, token).
    function volume(
        bytes32 modelId,
        uint32 epoch,
        IERC20 token
    ) external view returns (Volume memory);

    /// @notice The hold period of new settlements, in seconds.
    function holdPeriod() external view returns (uint32);
}
