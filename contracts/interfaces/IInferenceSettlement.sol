// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {InferenceRecord} from "../libraries/InferenceRecordLib.sol";
import {INodeRouting} from "./INodeRouting.sol";

/**
 * @title IInferenceSettlement
 * @notice Pay-before-serve settlements bound to the model version live when they settle. An agent
 * (the payer) escrows a payment for one inference request; the node (the payee) claims it after
 * the hold period; the payer is refunded if the bound version is marked Faulty before the
 * release time, or if the payer proves, before release, that the anchored record of the request
 * does not conform, or if the payer contested the payment and the payee did not prove its
 * service with a conforming anchored record by the proof deadline.
 *
 * Storage: one slot per settlement, holding a hash commitment of its {SettlementDetails} and its
 * state. The details are in the {Settled} event and are passed back in calldata to claim, refund
 * or challenge.
 */
interface IInferenceSettlement {
    /**
     * @notice The lifecycle of a settlement. Nothing is ever deleted. Open -> Claimed | Refunded;
     * Open -> Contested (the payer asks for proof of service) -> Proven (the payee showed its
     * anchored, conforming record) | Refunded; Open -> Proven; Proven -> Claimed | Refunded.
     */
    enum SettlementState {
        None,
        Open,
        Claimed,
        Refunded,
        Contested,
        Proven
    }

    /// @notice Why a payment went back to the payer.
    enum RefundReason {
        VersionFaulty,
        Challenge,
        Unproven
    }

    /**
     * @notice What a settlement commits to. `settlementId = keccak256(abi.encode(payer, requestId))`.
     * The order is the {Settled} event's: where (model, epoch), who asked (payer, request), what
     * was paid for (version, payee, token, amount), when (settled, released).
     */
    struct SettlementDetails {
        bytes32 modelId;
        uint32 epoch;
        address payer;
        bytes32 requestId;
        uint32 version;
        address payee;
        IERC20 token;
        uint256 amount;
        uint48 settledAt;
        uint48 releaseAt;
    }

    /// @notice Totals of one (model, epoch, token), readable on-chain without an indexer.
    struct Volume {
        uint40 settledCount;
        uint168 settledAmount;
        uint40 refundedCount;
        uint168 refundedAmount;
        /// The bound version's `faultyAt` as cached by the bucket's first VersionFaulty refund
        /// (0 until then).
        uint48 faultyAtCached;
    }

    /**
     * @notice A payment was escrowed under `version` / `epoch`. The fields are the settlement's
     * {SettlementDetails} (`modelId` and `epoch` as topics, so one log filter finds every payment
     * bound to an epoch); they are not repeated in the data, which saves gas on every settle.
     */
    event Settled(
        bytes32 indexed settlementId,
        bytes32 indexed modelId,
        uint32 indexed epoch,
        address payer,
        bytes32 requestId,
        uint32 version,
        address payee,
        IERC20 token,
        uint256 amount,
        uint48 settledAt,
        uint48 releaseAt
    );
    /// @notice The payer asked for proof of service: the payee must {prove} it with its anchored,
    /// conforming record before `proofDeadline`, or the payer takes the payment back.
    event Contested(bytes32 indexed settlementId, address indexed payer, uint48 proofDeadline);
    /// @notice The payee proved its service with its record (served at `servedAt`) in batch `root`.
    event Proven(bytes32 indexed settlementId, bytes32 root, uint48 servedAt);
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
    /// @notice {settleToRoutable} paid `payee`, an operator that acknowledged `epoch` (live) at
    /// `acknowledgedAt`. Emitted after the payment's {Settled}.
    event PayeeRoutingChecked(
        bytes32 indexed settlementId,
        address indexed payee,
        uint32 epoch,
        uint48 acknowledgedAt
    );

    /// @notice A zero payee, recipient or amount.
    error SettlementZeroArgument();
    /// @notice The call came through the AccessManager (`execute`): call directly from the
    /// account holding the role.
    error SettlementRelayedCall(address authority);
    /// @notice The payer already settled this request id.
    error SettlementExists(bytes32 settlementId);
    /// @notice The token delivered less (or more) than `amount`: fee-on-transfer tokens are refused.
    error SettlementTransferMismatch(address token, uint256 expected, uint256 received);
    /// @notice `token.balanceOf` failed or returned no balance (for example: not a contract).
    error SettlementTokenUnreadable(address token);
    /// @notice No settlement matches these details.
    error SettlementUnknown(bytes32 settlementId);
    /// @notice The settlement was claimed or refunded already (for {contest}: or is contested or
    /// proven already; for {prove}: or is proven already).
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
    /// @notice The settlement is contested: the payee must {prove} its service first.
    error SettlementContested(bytes32 settlementId, uint48 proofDeadline);
    /// @notice Only a contested settlement can be refunded for lack of proof.
    error SettlementNotContested(bytes32 settlementId);
    /// @notice The proof deadline of a contested settlement has passed: the payer is refunded.
    error SettlementProofWindowClosed(bytes32 settlementId, uint48 proofDeadline);
    /// @notice The payee may still prove its service until the proof deadline.
    error SettlementProofWindowOpen(bytes32 settlementId, uint48 proofDeadline);
    /// @notice The record does not conform to what was paid for (`flags`: the record's flags;
    /// 0 when only its version or its serving time, before payment or from release on, is wrong).
    error SettlementRecordNotConforming(bytes32 settlementId, uint256 flags);
    /// @notice The (model, epoch, token) counters would leave their width (2^40 payments or a
    /// total of 2^168 base units): only a token with an absurd supply gets there.
    error SettlementVolumeOverflow(bytes32 modelId, uint32 epoch, address token);
    /// @notice A hold period above the maximum.
    error SettlementInvalidHoldPeriod(uint32 value, uint32 max);
    /// @notice The hold period is shorter than the payer's `minHoldPeriod` (it was lowered).
    error SettlementHoldPeriodTooShort(uint32 holdPeriod, uint32 minHoldPeriod);
    /// @notice The routing contract given to the constructor has no code.
    error SettlementRoutingWithoutCode(address routing);
    /// @notice {settleToRoutable}: `payee` has not acknowledged `liveEpoch` of `modelId` on the
    /// routing contract (the last epoch it acknowledged is `acknowledgedEpoch`, 0 if none), or it
    /// did but is no longer an operator of the model on the anchor.
    error SettlementPayeeNotRoutable(
        bytes32 modelId,
        address payee,
        uint32 acknowledgedEpoch,
        uint32 liveEpoch
    );

    /**
     * @notice Escrows `amount` of `token` for request `requestId`, to be served by `expectedVersion`
     * of `modelId` (and in `expectedEpoch`, unless 0). Binds the payment to the live version and
     * epoch. The caller is the payer. `minHoldPeriod` is the payer's guard on the hold period,
     * which the governor changes at once: the call reverts with {SettlementHoldPeriodTooShort}
     * when the hold period is below it, so a governor (or a stolen governor key) front-running
     * the payment with `setHoldPeriod(0)` cannot take the payer's contest, challenge and refund
     * away. Pass the hold period the payer relies on (0 accepts any).
     * @dev Emits {Settled}.
     */
    function settle(
        bytes32 modelId,
        uint32 expectedVersion,
        uint32 expectedEpoch,
        address payee,
        IERC20 token,
        uint256 amount,
        bytes32 requestId,
        uint32 minHoldPeriod
    ) external returns (bytes32 settlementId);

    /**
     * @notice {settle}, to a payee that is an operator of the model and acknowledged the live
     * epoch on {nodeRouting} (INodeRouting): after a rollback, an agent does not pay a node that
     * has not said it switched (a node that says so and still serves the old version contradicts
     * its own, dated acknowledgement). {settle}'s checks come first, in its order; then it reverts
     * {SettlementPayeeNotRoutable} (the payee, its last acknowledged epoch, the live one) before
     * anything moves; otherwise it is exactly {settle}, and emits {PayeeRoutingChecked} after its
     * {Settled}. The check is the payer's choice, at settle time only: it does not reach a payment
     * already made, and {settle} itself stays as cheap as without it.
     * @dev Emits {Settled} and {PayeeRoutingChecked}.
     */
    function settleToRoutable(
        bytes32 modelId,
        uint32 expectedVersion,
        uint32 expectedEpoch,
        address payee,
        IERC20 token,
        uint256 amount,
        bytes32 requestId,
        uint32 minHoldPeriod
    ) external returns (bytes32 settlementId);

    /**
     * @notice The payee takes the payment, to `to`, once `releaseAt` has passed, unless the bound
     * version's fault counts from before `releaseAt` (see IModelRegistry.faultyAt), or the bound
     * version is paused since before `releaseAt` (the guardian is investigating it), or the payer
     * contested it and the payee has not proven it ({prove}).
     * @dev Emits {Claimed}.
     */
    function claim(SettlementDetails calldata details, address to) external;

    /**
     * @notice The payee shows its anchored record of the request, which must conform (the rules of
     * {challenge}, in reverse, and served before `releaseAt`). Required to claim a contested
     * settlement, before its proof deadline; possible at any time before release or a pause's
     * end, since it pays nothing ({claim} does, under its own rules). A proven settlement cannot
     * be contested; a challenge with another, non-conforming record of the request still refunds.
     * @dev Emits {Proven}.
     */
    function prove(
        SettlementDetails calldata details,
        bytes32 root,
        InferenceRecord calldata record,
        bytes32[] calldata proof
    ) external;

    /**
     * @notice Before `releaseAt`, the payer asks for proof of service: from then on the payee can
     * only claim once it has proven its service ({prove}), which it must do before the proof
     * deadline ({proofDeadlineOf}). Refunds for a Faulty version and challenges stay possible.
     * @dev Emits {Contested}.
     */
    function contest(SettlementDetails calldata details) external;

    /**
     * @notice The payer takes back, to `to`, a contested payment the payee did not prove by the
     * proof deadline.
     * @dev Emits {Refunded} with reason Unproven.
     */
    function refundUnproven(SettlementDetails calldata details, address to) external;

    /**
     * @notice The payer takes the payment back, to `to`, if the bound version's fault counts from
     * before `releaseAt`: it was marked Faulty before, or a pause that began before it ended with
     * the version marked Faulty.
     * @dev Emits {Refunded}.
     */
    function refund(SettlementDetails calldata details, address to) external;

    /**
     * @notice Before `releaseAt`, the payer proves with the payee's anchored record of its request
     * that the service did not conform (not the paid version, served before payment, wrong blob,
     * disallowed proof path, outside its batch's range, unknown version or format; not live then
     * or unconfirmable, when the version was taken down: see InferenceSettlement) and takes the payment
     * back, to `to`. Attestations are not judged here: see IInferenceAnchor.verifyAttestation.
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

    /// @notice The shortest time a contested payee has after release to prove its service.
    function MIN_PROOF_WINDOW() external view returns (uint32);

    /// @notice Until when the payee of a contested settlement can prove its service: one more
    /// hold period after `releaseAt`, at least MIN_PROOF_WINDOW (one day).
    function proofDeadlineOf(SettlementDetails calldata details) external pure returns (uint48);

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

    /// @notice The routing contract whose acknowledgements {settleToRoutable} requires.
    function nodeRouting() external view returns (INodeRouting);
}
