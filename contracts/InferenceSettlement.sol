// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";

import {IInferenceAnchor} from "./interfaces/IInferenceAnchor.sol";
import {IInferenceSettlement} from "./interfaces/IInferenceSettlement.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {INodeRouting} from "./interfaces/INodeRouting.sol";
import {InferenceRecord} from "./libraries/InferenceRecordLib.sol";
import {VersionBound} from "./VersionBound.sol";

/**
 * @title InferenceSettlement
 * @notice Pay-before-serve settlements bound to the live model version. See {IInferenceSettlement}.
 *
 * Who could game what, and what stops them:
 * - A payee could claim a payment for a version found Faulty: claims check the registry's
 *   Faulty marking against `releaseAt`, both fixed on-chain, so racing a rollback gains nothing:
 *   marked before `releaseAt` means refund, after means claim, whoever calls first.
 * - A payer could refund a payment for a version merely Withdrawn (cost, operations): only Faulty
 *   triggers refunds.
 * - A payee could take the money and never anchor a record of the request (then there is
 *   nothing to challenge), or not be an anchor operator at all (then it has no batches): the payer
 *   {contest}s before release, and a contested payment is only claimed once the payee {prove}s
 *   it with its own anchored, conforming record of the request, served before release; without
 *   one the payer takes it back from the proof deadline on ({refundUnproven}). The windows do not
 *   overlap (contest before `releaseAt`, proof before `proofDeadline`, refund from it), so
 *   neither side wins by racing, and proving does not wait for release or a pause to end. A
 *   payer who contests everything only makes honest payees spend the gas of a proof, and pays a
 *   transaction for each contest. What a proof shows is that the payee committed on-chain to a
 *   record of the request (its output hash, version, time), not that the payer received that
 *   output: a node can anchor a record of an answer it never delivered, and the payer then holds
 *   the node's signed-off claim to dispute off-chain. Nodes must anchor promptly: a record
 *   anchored after its version was taken down is Unconfirmable (below) and loses a contest or a
 *   challenge.
 * - A payer could challenge an honest record: the challenge runs `verifyRecord` on-chain; a
 *   conforming record (or one not in an anchored batch) reverts. The record must name this
 *   request, this payer as agent, this model and the payee as the node that served it (so
 *   another node's record cannot cost this payee), and it is only ever checked against the
 *   payee's own batches.
 * - A payer could close the bound window before the node anchors (the permissionless `activate`
 *   of a due promotion, or waiting for a routine pause) and challenge the honest record as
 *   NotLive or Unconfirmable: those two count only when the version was taken down (the bound
 *   epoch ended by Rollback or Revoke, or by a pause during which the guardian rolled back or
 *   revoked it: the registry's `takenDownAt`, written once at that act) no later than the
 *   record's anchoring, which the payer cannot cause. After a promotion or a routine pause the
 *   payer still got the version it paid for. The cost falls on an honest node that served just
 *   before a takedown and anchored after it, even a Withdrawn one: it cannot be told from a node
 *   that served the pulled version later and backdated the record.
 * - Governance could flip a judgement about a past payment (re-propose a Withdrawn version so
 *   that its records stop reading Withdrawn, cancel afterwards, or withdraw it from a later
 *   epoch so that an earlier routine pause reads as a takedown): judgements read only facts
 *   written once (the record's anchored standing, the committed details, `takenDownAt` of the
 *   bound epoch, `faultyAt`), and a takedown after the record's anchoring never counts against
 *   it. Once the record is anchored, `prove` and `challenge` of it give the same answer at every
 *   later block, except where the payment's own deadlines close them. The cost: a node that
 *   kept serving during the guardian's pause and anchored before the guardian decided is judged
 *   as after a routine pause (a Faulty marking still refunds through `refund`).
 * - A node could serve before it was paid and date the record earlier: pay-before-serve means a
 *   record served before the settlement (`servedAt < settledAt`) does not conform.
 * - Anyone could squat a request id: settlements are keyed by `keccak256(payer, requestId)`.
 * - A token could take a fee or re-enter: the received amount is checked by balance difference,
 *   every state change precedes the transfer, and every entry point is `nonReentrant`.
 * - A token could block the payee's or payer's address: both choose the recipient `to`.
 * - Governance could change the rules of a running settlement: `releaseAt` is fixed at settle
 *   time, and the proof deadline derives from it. A governor (or a stolen governor key) could
 *   front-run a payment with `setHoldPeriod(0)`, leaving the payer no contest, challenge or
 *   refund: the payer passes `minHoldPeriod` and `settle` reverts below it.
 * - A payer paying after a rollback could pay a node that has not switched back: it calls
 *   {settleToRoutable}, which requires the payee to be an operator of the model that
 *   acknowledged the live epoch on `nodeRouting`. A node could acknowledge without switching, to
 *   stay payable: its acknowledgement is public and dated by its block, so its later records
 *   claiming the old version contradict it (the incident report flags them; a challenge of one
 *   still refunds, and the payer can contest). An operator removed after acknowledging could
 *   stay payable until the next switch: it must still be an operator on the anchor. A node could
 *   acknowledge just ahead of the payment (front-running it): then it committed to the live
 *   epoch before being paid, which is what the payer asked for. The payer cannot use the check
 *   against a payee after paying: it is read at settle time only, and the payment's rules never
 *   read it again; {PayeeRoutingChecked} records, once, that it was applied and which
 *   acknowledgement passed it. Governance has no say: `nodeRouting` is fixed at deployment and
 *   NodeRouting has no admin.
 * - A caller could pass details that differ from what was settled: the details are checked
 *   against the stored hash commitment (including the refund cache below, which is keyed by
 *   the committed model, epoch and token).
 */
contract InferenceSettlement is
    IInferenceSettlement,
    VersionBound,
    AccessManaged,
    ReentrancyGuardTransient
{
    using SafeERC20 for IERC20;

    /// @notice The longest hold period governance may set.
    uint32 public constant MAX_HOLD_PERIOD = 90 days;

    /// @notice The shortest time a contested payee has, after release, to prove its service: a
    /// short hold period must not leave it minutes against congestion or censorship.
    uint32 public constant MIN_PROOF_WINDOW = 1 days;

    /// @dev Record flags that make a record non-conforming on their own: the service did not
    /// conform to what the payer paid for. VersionFaulty / VersionWithdrawn are left to {refund}:
    /// a Faulty marking before release refunds anyway, and a Withdrawn version is not a fault.
    /// BatchDisputed is the guardian's opinion of a batch, not proof about this record.
    uint256 private constant _RECORD_FLAGS =
        (1 << uint8(IInferenceAnchor.Standing.UnknownFormat)) |
            (1 << uint8(IInferenceAnchor.Standing.WrongModel)) |
            (1 << uint8(IInferenceAnchor.Standing.UnknownVersion)) |
            (1 << uint8(IInferenceAnchor.Standing.WrongBlob)) |
            (1 << uint8(IInferenceAnchor.Standing.ProofPathNotAllowed)) |
            (1 << uint8(IInferenceAnchor.Standing.OutsideBatchRange));

    /// @dev Flags about the window the record claims: they count only when the version was taken
    /// down no later than the record's anchoring (see {_judge} and the contract's notes).
    uint256 private constant _WINDOW_FLAGS =
        (1 << uint8(IInferenceAnchor.Standing.NotLive)) |
            (1 << uint8(IInferenceAnchor.Standing.Unconfirmable));

    uint256 private constant _STATE_MASK = 0xff;

    /// @dev Counter words: `count << 216 | cache << 168 | amount`. The amount is capped at 168
    /// bits and the count at 40 (settle reverts beyond), so a refund counter, never above its
    /// settle counter, cannot overflow and block a refund.
    uint256 private constant _COUNT_SHIFT = 216;
    uint256 private constant _CACHE_SHIFT = 168;
    uint256 private constant _AMOUNT_MASK = (1 << 168) - 1;
    uint256 private constant _MAX_COUNT = (1 << 40) - 1;

    /**
     * @dev The counters of one (model, epoch, token), one word each, updated with one SLOAD and
     * one SSTORE. `refunded` also caches, in its middle 48 bits, the registry's `faultyAt` of the
     * epoch's version, written by the epoch's first VersionFaulty refund: `faultyAt` is set once
     * and never changes (a Faulty version cannot be marked again), and an epoch has one version,
     * so every later refund of the epoch reads it here instead of calling the registry (about
     * 5,000 gas each).
     */
    struct PackedVolume {
        uint256 settled;
        uint256 refunded;
    }

    /// @notice The anchor whose records challenges are checked against.
    IInferenceAnchor public immutable anchor;

    /// @inheritdoc IInferenceSettlement
    /// @dev Named `nodeRouting`, not `routing`: at today's selectors, `routing()` added one
    /// dispatcher comparison (22 gas) before `settle`, `claim`, `contest` and `refund`; this name
    /// adds none (`npm run bench` records settle's gas; see the README's gas table).
    INodeRouting public immutable nodeRouting;

    /// @dev settlement id => keccak256(details) with its low byte replaced by the state.
    mapping(bytes32 settlementId => uint256) private _settlements;
    mapping(bytes32 modelId => mapping(uint32 epoch => mapping(IERC20 token => PackedVolume)))
        private _volumes;
    uint32 private _holdPeriod;

    /**
     * @param initialAuthority The AccessManager (GOVERNOR sets the hold period).
     * @param modelRegistry The model registry.
     * @param inferenceAnchor The inference anchor.
     * @param routingContract The nodes' acknowledgements, read by {settleToRoutable}.
     * @param initialHoldPeriod Seconds between settlement and release.
     */
    constructor(
        address initialAuthority,
        IModelRegistry modelRegistry,
        IInferenceAnchor inferenceAnchor,
        INodeRouting routingContract,
        uint32 initialHoldPeriod
    ) VersionBound(modelRegistry) AccessManaged(initialAuthority) {
        _checkHoldPeriod(initialHoldPeriod);
        // Immutable: a routing address without code would make every settleToRoutable revert
        // without a reason, for the contract's whole life.
        if (address(routingContract).code.length == 0) {
            revert SettlementRoutingWithoutCode(address(routingContract));
        }
        anchor = inferenceAnchor;
        nodeRouting = routingContract;
        _holdPeriod = initialHoldPeriod;
    }

    /// @inheritdoc IInferenceSettlement
    /// @dev `public`, not `external`, so that {settleToRoutable} runs this very body (an internal
    /// function shared by both would cost `settle` a jump and its stack work on every payment):
    /// the legacy code generator dispatches both the same way.
    function settle(
        bytes32 modelId,
        uint32 expectedVersion,
        uint32 expectedEpoch,
        address payee,
        IERC20 token,
        uint256 amount,
        bytes32 requestId,
        uint32 minHoldPeriod
    ) public nonReentrant returns (bytes32 settlementId) {
        if (payee == address(0) || amount == 0) revert SettlementZeroArgument();
        settlementId = settlementIdOf(msg.sender, requestId);
        if (_settlements[settlementId] != 0) revert SettlementExists(settlementId);
        uint32 epoch = _requireLive(modelId, expectedVersion, expectedEpoch);

        uint48 nowTs = Time.timestamp();
        SettlementDetails memory details = SettlementDetails({
            modelId: modelId,
            epoch: epoch,
            payer: msg.sender,
            requestId: requestId,
            version: expectedVersion,
            payee: payee,
            token: token,
            amount: amount,
            settledAt: nowTs,
            releaseAt: nowTs + _guardedHoldPeriod(minHoldPeriod)
        });
        _settlements[settlementId] = _commit(_hashMemory(details), SettlementState.Open);
        PackedVolume storage vol = _volumes[modelId][epoch][token];
        (uint256 settled, bool overflow) = _bumped(vol.settled, amount);
        if (overflow) revert SettlementVolumeOverflow(modelId, epoch, address(token));
        vol.settled = settled;

        uint256 before = _balanceOfSelf(token);
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = _balanceOfSelf(token) - before;
        if (received != amount) revert SettlementTransferMismatch(address(token), amount, received);
        _emitSettled(settlementId, details);
    }

    /// @inheritdoc IInferenceSettlement
    /// @dev Not `nonReentrant` itself: {settle} is, and the calls before it are static calls to the
    /// immutable registry, anchor and `nodeRouting`, which cannot change state. {settle}'s own
    /// argument, request and version checks come first, so a payer learns the same cause as from
    /// {settle}; they cost little here, where their storage is then warm for {settle}.
    function settleToRoutable(
        bytes32 modelId,
        uint32 expectedVersion,
        uint32 expectedEpoch,
        address payee,
        IERC20 token,
        uint256 amount,
        bytes32 requestId,
        uint32 minHoldPeriod
    ) external returns (bytes32 settlementId) {
        if (payee == address(0) || amount == 0) revert SettlementZeroArgument();
        settlementId = settlementIdOf(msg.sender, requestId);
        if (_settlements[settlementId] != 0) revert SettlementExists(settlementId);
        uint32 liveEpoch = _requireLive(modelId, expectedVersion, expectedEpoch);
        (uint32 acknowledged, uint48 acknowledgedAt) = nodeRouting.lastAcknowledged(modelId, payee);
        if (acknowledged != liveEpoch || !anchor.isOperator(modelId, payee)) {
            revert SettlementPayeeNotRoutable(modelId, payee, acknowledged, liveEpoch);
        }
        settle(
            modelId,
            expectedVersion,
            expectedEpoch,
            payee,
            token,
            amount,
            requestId,
            minHoldPeriod
        );
        emit PayeeRoutingChecked(settlementId, payee, liveEpoch, acknowledgedAt);
    }

    /// @inheritdoc IInferenceSettlement
    function claim(SettlementDetails calldata details, address to) external nonReentrant {
        (bytes32 id, SettlementState state) = _active(details);
        if (msg.sender != details.payee) revert SettlementUnauthorized(id, msg.sender);
        if (state == SettlementState.Contested) {
            revert SettlementContested(id, proofDeadlineOf(details));
        }
        _claim(id, details, to);
    }

    /// @inheritdoc IInferenceSettlement
    function prove(
        SettlementDetails calldata details,
        bytes32 root,
        InferenceRecord calldata record,
        bytes32[] calldata proof
    ) external nonReentrant {
        (bytes32 id, SettlementState state) = _active(details);
        if (msg.sender != details.payee) revert SettlementUnauthorized(id, msg.sender);
        if (state == SettlementState.Proven) revert SettlementNotOpen(id, state);
        if (state == SettlementState.Contested) {
            uint48 deadline = proofDeadlineOf(details);
            if (Time.timestamp() >= deadline) revert SettlementProofWindowClosed(id, deadline);
        }
        (bool conforms, uint256 flags) = _judge(id, details, root, record, proof);
        if (!conforms) revert SettlementRecordNotConforming(id, flags);
        // Proving does not pay: the payment still follows the claim rules (release, fault,
        // pause), so a pause over the proof window cannot cost a payee that proved in time.
        _settlements[id] = _commit(bytes32(_settlements[id]), SettlementState.Proven);
        emit Proven(id, root, record.servedAt);
    }

    /// @inheritdoc IInferenceSettlement
    function contest(SettlementDetails calldata details) external nonReentrant {
        (bytes32 id, SettlementState state) = _active(details);
        if (msg.sender != details.payer) revert SettlementUnauthorized(id, msg.sender);
        if (state != SettlementState.Open) revert SettlementNotOpen(id, state);
        if (Time.timestamp() >= details.releaseAt) {
            revert SettlementChallengeClosed(id, details.releaseAt);
        }
        _settlements[id] = _commit(bytes32(_settlements[id]), SettlementState.Contested);
        emit Contested(id, msg.sender, proofDeadlineOf(details));
    }

    /// @inheritdoc IInferenceSettlement
    function refund(SettlementDetails calldata details, address to) external nonReentrant {
        (bytes32 id, ) = _active(details);
        if (msg.sender != details.payer) revert SettlementUnauthorized(id, msg.sender);
        if (to == address(0)) revert SettlementZeroArgument();
        PackedVolume storage vol = _volumes[details.modelId][details.epoch][details.token];
        uint256 refunded = vol.refunded;
        uint48 faultyAt = uint48(refunded >> _CACHE_SHIFT);
        if (faultyAt == 0) {
            faultyAt = registry.faultyAt(details.modelId, details.version);
            refunded |= uint256(faultyAt) << _CACHE_SHIFT;
        }
        if (faultyAt == 0 || faultyAt >= details.releaseAt) {
            revert SettlementNotRefundable(id, faultyAt, details.releaseAt);
        }
        _refund(id, details, to, vol, refunded, RefundReason.VersionFaulty, 0);
    }

    /// @inheritdoc IInferenceSettlement
    function refundUnproven(SettlementDetails calldata details, address to) external nonReentrant {
        (bytes32 id, SettlementState state) = _active(details);
        if (msg.sender != details.payer) revert SettlementUnauthorized(id, msg.sender);
        if (to == address(0)) revert SettlementZeroArgument();
        if (state != SettlementState.Contested) revert SettlementNotContested(id);
        uint48 deadline = proofDeadlineOf(details);
        if (Time.timestamp() < deadline) revert SettlementProofWindowOpen(id, deadline);
        PackedVolume storage vol = _volumes[details.modelId][details.epoch][details.token];
        _refund(id, details, to, vol, vol.refunded, RefundReason.Unproven, 0);
    }

    /// @inheritdoc IInferenceSettlement
    function challenge(
        SettlementDetails calldata details,
        bytes32 root,
        InferenceRecord calldata record,
        bytes32[] calldata proof,
        address to
    ) external nonReentrant {
        (bytes32 id, ) = _active(details);
        if (msg.sender != details.payer) revert SettlementUnauthorized(id, msg.sender);
        if (to == address(0)) revert SettlementZeroArgument();
        if (Time.timestamp() >= details.releaseAt) {
            revert SettlementChallengeClosed(id, details.releaseAt);
        }
        (bool conforms, uint256 flags) = _judge(id, details, root, record, proof);
        if (conforms) revert SettlementRecordConforms(id, flags);
        PackedVolume storage vol = _volumes[details.modelId][details.epoch][details.token];
        _refund(id, details, to, vol, vol.refunded, RefundReason.Challenge, flags);
    }

    /// @inheritdoc IInferenceSettlement
    function setHoldPeriod(uint32 newPeriod) external restricted {
        _checkHoldPeriod(newPeriod);
        emit HoldPeriodSet(_holdPeriod, newPeriod);
        _holdPeriod = newPeriod;
    }

    /// @inheritdoc IInferenceSettlement
    function settlementIdOf(address payer, bytes32 requestId) public pure returns (bytes32 id) {
        // keccak256(abi.encode(payer, requestId)), hashed in the scratch space.
        assembly ("memory-safe") {
            mstore(0x00, and(payer, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(0x20, requestId)
            id := keccak256(0x00, 0x40)
        }
    }

    /// @inheritdoc IInferenceSettlement
    function proofDeadlineOf(SettlementDetails calldata details) public pure returns (uint48) {
        // releaseAt >= settledAt for every committed settlement; other input reverts on overflow.
        uint48 hold = details.releaseAt - details.settledAt;
        return details.releaseAt + (hold > MIN_PROOF_WINDOW ? hold : MIN_PROOF_WINDOW);
    }

    /// @inheritdoc IInferenceSettlement
    function stateOf(bytes32 settlementId) external view returns (SettlementState) {
        return SettlementState(_settlements[settlementId] & _STATE_MASK);
    }

    /// @inheritdoc IInferenceSettlement
    function volume(
        bytes32 modelId,
        uint32 epoch,
        IERC20 token
    ) external view returns (Volume memory v) {
        PackedVolume storage p = _volumes[modelId][epoch][token];
        (v.settledCount, v.settledAmount) = _unpack(p.settled);
        (v.refundedCount, v.refundedAmount) = _unpack(p.refunded);
        v.faultyAtCached = uint48(p.refunded >> _CACHE_SHIFT);
    }

    /// @inheritdoc IInferenceSettlement
    function holdPeriod() external view returns (uint32) {
        return _holdPeriod;
    }

    /**
     * @dev Who could game it: any role holder can route its call through
     * `AccessManager.execute(target, data)`; the manager then calls at once and this contract
     * would record the manager as the actor, hiding the Safe that acted. Refused: the trail
     * always names the account that holds the role. A scheduled call still works, because its
     * holder calls this contract itself after the delay (the manager only checks the schedule).
     */
    function _checkCanCall(address caller, bytes calldata data) internal override {
        if (caller == authority()) revert SettlementRelayedCall(caller);
        super._checkCanCall(caller, data);
    }

    /// @dev The payee's claim, once the caller checked that it is the payee and that the payment is
    /// not contested: release reached, no fault counted from before release, the bound version not
    /// paused since before release.
    function _claim(bytes32 id, SettlementDetails calldata details, address to) private {
        if (to == address(0)) revert SettlementZeroArgument();
        uint48 releaseAt = details.releaseAt;
        if (Time.timestamp() < releaseAt) revert SettlementNotReleased(id, releaseAt);
        (uint48 faultyAt, uint48 pausedSince) = registry.releaseState(
            details.modelId,
            details.version
        );
        if (faultyAt != 0 && faultyAt < releaseAt) revert SettlementVersionFaulty(id, faultyAt);
        // Only a pause of the bound version blocks: the payee of an older version is not held up.
        if (pausedSince != 0 && pausedSince < releaseAt) {
            revert SettlementModelPaused(id, pausedSince);
        }
        _settlements[id] = _commit(bytes32(_settlements[id]), SettlementState.Claimed);
        details.token.safeTransfer(to, details.amount);
        emit Claimed(id, msg.sender, to, details.amount);
    }

    /// @dev `refunded` is the bucket's refund word as the caller read it (with the fault cache).
    function _refund(
        bytes32 id,
        SettlementDetails calldata details,
        address to,
        PackedVolume storage vol,
        uint256 refunded,
        RefundReason reason,
        uint256 flags
    ) private {
        _settlements[id] = _commit(bytes32(_settlements[id]), SettlementState.Refunded);
        // Cannot overflow: the bucket's refunds are a subset of its settlements, whose count and
        // total settle keeps within the counter widths.
        (vol.refunded, ) = _bumped(refunded, details.amount);
        details.token.safeTransfer(to, details.amount);
        emit Refunded(id, details.payer, to, details.amount, reason, flags);
    }

    /**
     * @dev Whether the payee's anchored `record` of this settlement's request conforms to what
     * was paid for, with the record's flags. Reverts unless the record names this request, payer,
     * model and payee, and is included in one of the payee's batches. Non-conforming: a record
     * flag of {_RECORD_FLAGS}; another version than the bound one; served before the payment or
     * from its release on; NotLive / Unconfirmable when the bound version was taken down at or
     * before the record's anchoring (the registry's {IModelRegistry-takenDownAt} of the bound
     * epoch: its rollback or revoke, or a takedown during the pause that ended it), which the
     * payer cannot cause.
     *
     * Every input is a fact fixed once the record is anchored: its flags from verifyRecord (the
     * ones used here never change after the anchoring block), the settlement's committed details,
     * and a takedown time written once and counted only if it came no later than the anchoring.
     * So no later act (a re-proposal, a cancellation, a resume, a takedown from a later epoch, a
     * takedown after an honest node anchored during a routine pause) flips the answer for the
     * same record.
     */
    function _judge(
        bytes32 id,
        SettlementDetails calldata details,
        bytes32 root,
        InferenceRecord calldata record,
        bytes32[] calldata proof
    ) private view returns (bool conforms, uint256 flags) {
        if (
            record.requestId != details.requestId ||
            record.agent != details.payer ||
            record.modelId != details.modelId ||
            record.node != details.payee
        ) revert SettlementRecordMismatch(id);
        bool included;
        (included, flags, ) = anchor.verifyRecord(details.modelId, root, record, proof);
        if (!included) revert SettlementRecordNotIncluded(id, root);
        if (
            flags & _RECORD_FLAGS != 0 ||
            record.version != details.version ||
            record.servedAt < details.settledAt ||
            record.servedAt >= details.releaseAt
        ) return (false, flags);
        if (flags & _WINDOW_FLAGS != 0) {
            uint48 takenDown = registry.takenDownAt(details.modelId, details.epoch);
            if (
                takenDown != 0 &&
                takenDown <= anchor.getBatch(details.modelId, details.payee, root).anchoredAt
            ) return (false, flags);
        }
        return (true, flags);
    }

    /// @dev The id and state of a settlement matching `details` that is Open, Contested or
    /// Proven (not paid out), or a revert that says why not.
    function _active(
        SettlementDetails calldata details
    ) private view returns (bytes32 id, SettlementState state) {
        id = settlementIdOf(details.payer, details.requestId);
        uint256 stored = _settlements[id];
        if (stored == 0 || stored >> 8 != uint256(_hashCalldata(details)) >> 8) {
            revert SettlementUnknown(id);
        }
        state = SettlementState(stored & _STATE_MASK);
        if (state == SettlementState.Claimed || state == SettlementState.Refunded) {
            revert SettlementNotOpen(id, state);
        }
    }

    /// @dev keccak256(abi.encode(details)) straight from calldata: every field is static, so the
    /// struct's ten words in calldata are its ABI encoding. Dirty bits in a field give another
    /// hash, hence {SettlementUnknown}, never a wrong match.
    function _hashCalldata(SettlementDetails calldata details) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, details, 0x140)
            h := keccak256(ptr, 0x140)
        }
    }

    /// @dev Emits {Settled} straight from the struct's memory: the event's data is the struct's
    /// words after `modelId` and `epoch` (its topics), in the same order and equally cleaned.
    function _emitSettled(bytes32 id, SettlementDetails memory d) private {
        bytes32 topic0 = Settled.selector;
        assembly ("memory-safe") {
            log4(add(d, 0x40), 0x100, topic0, id, mload(d), mload(add(d, 0x20)))
        }
    }

    /// @dev `token.balanceOf(address(this))` in the scratch space (no memory allocated: this runs
    /// twice on every settle). A call that fails or returns less than a word, as from an address
    /// without code, reverts with {SettlementTokenUnreadable}.
    function _balanceOfSelf(IERC20 token) private view returns (uint256 held) {
        bool ok;
        assembly ("memory-safe") {
            mstore(0x00, 0x70a08231) // balanceOf(address)
            mstore(0x20, address())
            ok := staticcall(gas(), token, 0x1c, 0x24, 0x00, 0x20)
            ok := and(ok, gt(returndatasize(), 0x1f))
            held := mload(0x00)
        }
        if (!ok) revert SettlementTokenUnreadable(address(token));
    }

    /// @dev keccak256(abi.encode(details)) of a memory struct: its ten static fields are stored
    /// cleaned, one word each, so the struct's memory is its ABI encoding (no copy needed).
    function _hashMemory(SettlementDetails memory details) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            h := keccak256(details, 0x140)
        }
    }

    /// @dev `packed` with one more payment of `amount`, the cache bits kept; `overflow` when the
    /// count or the total would leave its width.
    function _bumped(
        uint256 packed,
        uint256 amount
    ) private pure returns (uint256 next, bool overflow) {
        uint256 count = (packed >> _COUNT_SHIFT) + 1;
        uint256 total = packed & _AMOUNT_MASK;
        overflow = count > _MAX_COUNT || amount > _AMOUNT_MASK - total;
        unchecked {
            next =
                (count << _COUNT_SHIFT) |
                (packed & ~_AMOUNT_MASK & ((1 << _COUNT_SHIFT) - 1)) |
                (total + amount);
        }
    }

    function _unpack(uint256 packed) private pure returns (uint40 count, uint168 amount) {
        return (uint40(packed >> _COUNT_SHIFT), uint168(packed));
    }

    /// @dev The commitment (248 bits of the details hash) with `state` in the low byte.
    function _commit(bytes32 detailsHash, SettlementState state) private pure returns (uint256) {
        return (uint256(detailsHash) & ~_STATE_MASK) | uint256(state);
    }

    /// @dev The hold period, or {SettlementHoldPeriodTooShort} below the payer's guard.
    function _guardedHoldPeriod(uint32 minHoldPeriod) private view returns (uint32 hold) {
        hold = _holdPeriod;
        if (hold < minHoldPeriod) revert SettlementHoldPeriodTooShort(hold, minHoldPeriod);
    }

    function _checkHoldPeriod(uint32 value) private pure {
        if (value > MAX_HOLD_PERIOD) revert SettlementInvalidHoldPeriod(value, MAX_HOLD_PERIOD);
    }
}
