// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";

import {IInferenceAnchor} from "./interfaces/IInferenceAnchor.sol";
import {IInferenceSettlement} from "./interfaces/IInferenceSettlement.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
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
 * - A payer could challenge an honest record: the challenge runs `verifyRecord` on-chain; a
 *   conforming record (or one not in an anchored batch) reverts. The record must name this
 *   request, this payer as agent, this model and the payee as the node that served it (so
 *   another node's record cannot cost this payee), and it is only ever checked against the
 *   payee's own batches.
 * - A node could serve before it was paid and date the record earlier: pay-before-serve means a
 *   record served before the settlement (`servedAt < settledAt`) does not conform.
 * - Anyone could squat a request id: settlements are keyed by `keccak256(payer, requestId)`.
 * - A token could take a fee or re-enter: the received amount is checked by balance difference,
 *   every state change precedes the transfer, and every entry point is `nonReentrant`.
 * - A token could block the payee's or payer's address: both choose the recipient `to`.
 * - Governance could change the rules of a running settlement: `releaseAt` is fixed at settle time.
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

    /// @dev Record flags that make a challenge succeed: the service did not conform to what the
    /// payer paid for. VersionFaulty / VersionWithdrawn are left to {refund}: a Faulty marking
    /// before release refunds anyway, and a Withdrawn version is not a fault. BatchDisputed is
    /// the guardian's opinion of a batch, not proof about this record.
    uint256 private constant _CHALLENGE_FLAGS =
        (1 << uint8(IInferenceAnchor.Standing.UnknownFormat)) |
            (1 << uint8(IInferenceAnchor.Standing.WrongModel)) |
            (1 << uint8(IInferenceAnchor.Standing.UnknownVersion)) |
            (1 << uint8(IInferenceAnchor.Standing.WrongBlob)) |
            (1 << uint8(IInferenceAnchor.Standing.ProofPathNotAllowed)) |
            (1 << uint8(IInferenceAnchor.Standing.OutsideBatchRange)) |
            (1 << uint8(IInferenceAnchor.Standing.NotLive)) |
            (1 << uint8(IInferenceAnchor.Standing.Unconfirmable));

    uint256 private constant _STATE_MASK = 0xff;

    /// @dev Each counter is one word, `count << 192 | amount`, updated with one SLOAD and one
    /// SSTORE (two packed struct fields would be written one after the other).
    struct PackedVolume {
        uint256 settled;
        uint256 refunded;
    }

    /// @notice The anchor whose records challenges are checked against.
    IInferenceAnchor public immutable anchor;

    /// @dev settlement id => keccak256(details) with its low byte replaced by the state.
    mapping(bytes32 settlementId => uint256) private _settlements;
    mapping(bytes32 modelId => mapping(uint32 epoch => mapping(IERC20 token => PackedVolume)))
        private _volumes;
    uint32 private _holdPeriod;

    /**
     * @param initialAuthority The AccessManager (GOVERNOR sets the hold period).
     * @param modelRegistry The model registry.
     * @param inferenceAnchor The inference anchor.
     * @param initialHoldPeriod Seconds between settlement and release.
     */
    constructor(
        address initialAuthority,
        IModelRegistry modelRegistry,
        IInferenceAnchor inferenceAnchor,
        uint32 initialHoldPeriod
    ) VersionBound(modelRegistry) AccessManaged(initialAuthority) {
        _checkHoldPeriod(initialHoldPeriod);
        anchor = inferenceAnchor;
        _holdPeriod = initialHoldPeriod;
    }

    /// @inheritdoc IInferenceSettlement
    function settle(
        bytes32 modelId,
        uint32 expectedVersion,
        uint32 expectedEpoch,
        address payee,
        IERC20 token,
        uint256 amount,
        bytes32 requestId
    ) external nonReentrant returns (bytes32 settlementId) {
        if (payee == address(0) || amount == 0) revert SettlementZeroArgument();
        settlementId = settlementIdOf(msg.sender, requestId);
        if (_settlements[settlementId] != 0) revert SettlementExists(settlementId);
        uint32 epoch = _requireLive(modelId, expectedVersion, expectedEpoch);

        uint48 nowTs = Time.timestamp();
        SettlementDetails memory details = SettlementDetails({
            payer: msg.sender,
            requestId: requestId,
            modelId: modelId,
            version: expectedVersion,
            epoch: epoch,
            payee: payee,
            token: token,
            amount: amount,
            settledAt: nowTs,
            releaseAt: nowTs + _holdPeriod
        });
        _settlements[settlementId] = _commit(keccak256(abi.encode(details)), SettlementState.Open);
        PackedVolume storage vol = _volumes[modelId][epoch][token];
        vol.settled = _bumped(vol.settled, amount);

        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert SettlementTransferMismatch(address(token), amount, received);
        emit Settled(settlementId, modelId, epoch, details);
    }

    /// @inheritdoc IInferenceSettlement
    function claim(SettlementDetails calldata details, address to) external nonReentrant {
        bytes32 id = _open(details);
        if (msg.sender != details.payee) revert SettlementUnauthorized(id, msg.sender);
        if (to == address(0)) revert SettlementZeroArgument();
        uint48 releaseAt = details.releaseAt;
        if (Time.timestamp() < releaseAt) revert SettlementNotReleased(id, releaseAt);
        (uint48 faultyAt, uint48 pausedSince) = registry.releaseState(
            details.modelId,
            details.version
        );
        if (faultyAt != 0 && faultyAt < releaseAt) revert SettlementVersionFaulty(id, faultyAt);
        // Only a pause of the bound version blocks: the payee of an older version is not held up.
        if (pausedSince != 0 && pausedSince < releaseAt)
            revert SettlementModelPaused(id, pausedSince);

        _settlements[id] = _commit(bytes32(_settlements[id]), SettlementState.Claimed);
        details.token.safeTransfer(to, details.amount);
        emit Claimed(id, msg.sender, to, details.amount);
    }

    /// @inheritdoc IInferenceSettlement
    function refund(SettlementDetails calldata details, address to) external nonReentrant {
        bytes32 id = _open(details);
        if (msg.sender != details.payer) revert SettlementUnauthorized(id, msg.sender);
        if (to == address(0)) revert SettlementZeroArgument();
        uint48 faultyAt = registry.faultyAt(details.modelId, details.version);
        if (faultyAt == 0 || faultyAt >= details.releaseAt) {
            revert SettlementNotRefundable(id, faultyAt, details.releaseAt);
        }
        _refund(id, details, to, RefundReason.VersionFaulty, 0);
    }

    /// @inheritdoc IInferenceSettlement
    function challenge(
        SettlementDetails calldata details,
        bytes32 root,
        InferenceRecord calldata record,
        bytes32[] calldata proof,
        address to
    ) external nonReentrant {
        bytes32 id = _open(details);
        if (msg.sender != details.payer) revert SettlementUnauthorized(id, msg.sender);
        if (to == address(0)) revert SettlementZeroArgument();
        if (Time.timestamp() >= details.releaseAt)
            revert SettlementChallengeClosed(id, details.releaseAt);
        if (
            record.requestId != details.requestId ||
            record.agent != details.payer ||
            record.modelId != details.modelId ||
            record.node != details.payee
        ) revert SettlementRecordMismatch(id);
        (bool included, uint256 flags, ) = anchor.verifyRecord(
            details.modelId,
            root,
            record,
            proof
        );
        if (!included) revert SettlementRecordNotIncluded(id, root);
        bool conforms =
            flags & _CHALLENGE_FLAGS == 0 &&
                record.version == details.version &&
                record.servedAt >= details.settledAt;
        if (conforms) revert SettlementRecordConforms(id, flags);
        _refund(id, details, to, RefundReason.Challenge, flags);
    }

    /// @inheritdoc IInferenceSettlement
    function setHoldPeriod(uint32 newPeriod) external restricted {
        _checkHoldPeriod(newPeriod);
        emit HoldPeriodSet(_holdPeriod, newPeriod);
        _holdPeriod = newPeriod;
    }

    /// @inheritdoc IInferenceSettlement
    function settlementIdOf(address payer, bytes32 requestId) public pure returns (bytes32) {
        return keccak256(abi.encode(payer, requestId));
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
    }

    /// @inheritdoc IInferenceSettlement
    function holdPeriod() external view returns (uint32) {
        return _holdPeriod;
    }

    function _refund(
        bytes32 id,
        SettlementDetails calldata details,
        address to,
        RefundReason reason,
        uint256 flags
    ) private {
        _settlements[id] = _commit(bytes32(_settlements[id]), SettlementState.Refunded);
        PackedVolume storage vol = _volumes[details.modelId][details.epoch][details.token];
        vol.refunded = _bumped(vol.refunded, details.amount);
        details.token.safeTransfer(to, details.amount);
        emit Refunded(id, details.payer, to, details.amount, reason, flags);
    }

    /// @dev The id of an Open settlement matching `details`, or a revert that says why not.
    function _open(SettlementDetails calldata details) private view returns (bytes32 id) {
        id = settlementIdOf(details.payer, details.requestId);
        uint256 stored = _settlements[id];
        if (stored == 0 || stored >> 8 != uint256(_hashCalldata(details)) >> 8) {
            revert SettlementUnknown(id);
        }
        SettlementState state = SettlementState(stored & _STATE_MASK);
        if (state != SettlementState.Open) revert SettlementNotOpen(id, state);
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

    /// @dev `packed` with one more payment of `amount` (reverts if the total leaves uint192).
    function _bumped(uint256 packed, uint256 amount) private pure returns (uint256) {
        (uint64 count, uint192 total) = _unpack(packed);
        return (uint256(count + 1) << 192) | SafeCast.toUint192(uint256(total) + amount);
    }

    function _unpack(uint256 packed) private pure returns (uint64 count, uint192 amount) {
        return (uint64(packed >> 192), uint192(packed));
    }

    /// @dev The commitment (248 bits of the details hash) with `state` in the low byte.
    function _commit(bytes32 detailsHash, SettlementState state) private pure returns (uint256) {
        return (uint256(detailsHash) & ~_STATE_MASK) | uint256(state);
    }

    function _checkHoldPeriod(uint32 value) private pure {
        if (value > MAX_HOLD_PERIOD) revert SettlementInvalidHoldPeriod(value, MAX_HOLD_PERIOD);
    }
}
