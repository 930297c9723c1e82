// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";

import {IInferenceAnchor} from "./interfaces/IInferenceAnchor.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {IZkVerifier} from "./interfaces/IZkVerifier.sol";
import {InferenceRecord, InferenceRecordLib} from "./libraries/InferenceRecordLib.sol";
import {ProofPaths} from "./libraries/ProofPaths.sol";

/**
 * @title InferenceAnchor
 * @notice Anchors inference-record Merkle roots and lets anyone verify a record on-chain against
 * the anchored root and against the registry's history. See {IInferenceAnchor}.
 *
 * Who could game what, and what stops them:
 * - A node could backdate records into a window when its version was live: `firstServedAt` may
 *   be at most `maxAnchorDelay` old at anchoring, `lastServedAt` not in the future, every record
 *   must fall in the declared range, and a record whose version window closed before anchoring
 *   is reported Unconfirmable, never Conforming.
 * - A stale node could keep serving a rolled-back version: its honest records read NotLive, its
 *   backdated ones Unconfirmable; both carry VersionFaulty once the version is marked.
 * - An operator could copy a root from the mempool, or re-anchor another node's records under
 *   worse metadata (a narrower range, a later anchoring time) to make them read non-conforming:
 *   batches are keyed by `(modelId, node, root)` and a record is only ever verified against the
 *   batches of the node it names, so a copied root lands under the copier's key and judges
 *   nothing of the original node's records.
 * - A node could anchor records of the current second and keep serving in it: `lastServedAt`
 *   must be strictly in the past.
 * - A verifier (anyone) could pass a leaf hash of its choosing: records are hashed on-chain from
 *   their fields, an empty multiproof is rejected, and an epoch hint is checked by the registry.
 * - Governance could rewrite what was verified: batches are never removed or changed; disputes
 *   are appended; verification never reads an operator's *current* status, and an enclave key's
 *   revocation only affects batches anchored after it.
 * - Governance could flip a standing back by re-proposing a Withdrawn version (its status goes
 *   Withdrawn -> Proposed -> Withdrawn) or by registering a version a record named before it
 *   existed: standings derive only from facts written once (registration time, Faulty, the
 *   latest withdrawal time, epoch ends, dispute count), so from the block after its anchoring a
 *   record's flags only ever grow, and only by VersionFaulty, VersionWithdrawn or BatchDisputed.
 * - A thief of an enclave key could sign records: only for its node, only with `servedAt` after
 *   the key's registration, and only in batches anchored before the guardian revokes it.
 * - A caller of {verifyAttestation} could starve the ZK verifier of gas so that an honest proof
 *   reads rejected: the verifier always gets `ZK_VERIFIER_GAS`, or the call reverts; at most 32
 *   bytes of its answer are copied (no return-data bomb).
 */
contract InferenceAnchor is IInferenceAnchor, AccessManaged, EIP712 {
    /// @notice Bounds of `maxAnchorDelay`.
    uint32 public constant MIN_ANCHOR_DELAY = 10 minutes;
    /// @notice Bounds of `maxAnchorDelay`.
    uint32 public constant MAX_ANCHOR_DELAY = 30 days;

    /// @notice The EIP-712 type an enclave signs: every record field but `proofCommitment`.
    bytes32 public constant ATTESTATION_TYPEHASH = keccak256(
        "InferenceAttestation(uint8 format,bytes32 requestId,bytes32 modelId,uint32 version,"
        "bytes32 blobId,bytes32 inputHash,bytes32 outputHash,uint8 proofPath,address agent,"
        "address node,uint48 servedAt)"
    );

    /// @notice The gas a ZK verifier gets for one proof (generated halo2 verifiers use well under).
    uint256 public constant ZK_VERIFIER_GAS = 3_000_000;

    uint256 private constant _LIMB_MASK = type(uint128).max;

    /// @notice The registry whose history records are checked against.
    IModelRegistry public immutable registry;

    /// @dev One slot per (model, operator): proves "known model" and "allowed operator" at once.
    mapping(bytes32 modelId => mapping(address operator => bool)) private _operators;
    mapping(bytes32 modelId => mapping(address operator => mapping(bytes32 root => Batch)))
        private _batches;
    mapping(bytes32 modelId => mapping(address operator => mapping(bytes32 root => Dispute[])))
        private _disputes;
    mapping(address key => EnclaveKey) private _enclaveKeys;
    uint32 private _maxAnchorDelay;

    /**
     * @param initialAuthority The AccessManager that gates the restricted functions.
     * @param modelRegistry The model registry.
     * @param initialMaxAnchorDelay How old the first record of a new batch may be, in seconds.
     */
    constructor(
        address initialAuthority,
        IModelRegistry modelRegistry,
        uint32 initialMaxAnchorDelay
    ) AccessManaged(initialAuthority) EIP712("InferenceAnchor", "1") {
        _checkPeriod(initialMaxAnchorDelay);
        registry = modelRegistry;
        _maxAnchorDelay = initialMaxAnchorDelay;
        emit MaxAnchorDelaySet(0, initialMaxAnchorDelay);
    }

    // ================================================================ governance

    /// @inheritdoc IInferenceAnchor
    function setOperator(bytes32 modelId, address operator, bool allowed) external restricted {
        if (operator == address(0)) revert AnchorZeroAddress();
        if (!registry.modelExists(modelId)) revert AnchorUnknownModel(modelId);
        _operators[modelId][operator] = allowed;
        emit OperatorSet(modelId, operator, allowed);
    }

    /**
     * @inheritdoc IInferenceAnchor
     * @dev Bounded to at most 30 days, so a governor cannot open the door to unbounded backdating.
     */
    function setMaxAnchorDelay(uint32 newDelay) external restricted {
        _checkPeriod(newDelay);
        emit MaxAnchorDelaySet(_maxAnchorDelay, newDelay);
        _maxAnchorDelay = newDelay;
    }

    /// @inheritdoc IInferenceAnchor
    function registerEnclaveKey(address key, address node) external restricted {
        if (key == address(0) || node == address(0)) revert AnchorZeroAddress();
        EnclaveKey storage k = _enclaveKeys[key];
        if (k.registeredAt != 0) revert AnchorEnclaveKeyExists(key, k.node);
        _enclaveKeys[key] = EnclaveKey({node: node, registeredAt: Time.timestamp(), revokedAt: 0});
        emit EnclaveKeyRegistered(key, node, msg.sender);
    }

    /// @inheritdoc IInferenceAnchor
    function revokeEnclaveKey(address key, bytes32 reasonHash) external restricted {
        EnclaveKey storage k = _enclaveKeys[key];
        if (k.registeredAt == 0) revert AnchorUnknownEnclaveKey(key);
        if (k.revokedAt != 0) revert AnchorEnclaveKeyRevoked(key, k.revokedAt);
        k.revokedAt = Time.timestamp();
        emit EnclaveKeyRevoked(key, k.node, msg.sender, reasonHash);
    }

    /// @inheritdoc IInferenceAnchor
    function disputeBatch(
        bytes32 modelId,
        address operator,
        bytes32 root,
        bytes32 reasonHash,
        string calldata reasonURI
    ) external restricted returns (uint32 disputeIndex) {
        Batch storage b = _batches[modelId][operator][root];
        if (b.anchoredAt == 0) revert AnchorUnknownBatch(modelId, operator, root);
        disputeIndex = b.disputeCount++;
        _disputes[modelId][operator][root].push(
            Dispute({
                by: msg.sender,
                at: Time.timestamp(),
                reasonHash: reasonHash,
                reasonURI: reasonURI
            })
        );
        emit BatchDisputed(
            modelId,
            root,
            operator,
            disputeIndex,
            msg.sender,
            reasonHash,
            reasonURI
        );
    }

    // ================================================================ operators

    /**
     * @inheritdoc IInferenceAnchor
     * @dev The operator check reads one slot instead of calling the AccessManager (~13,000 gas
     * less per batch); so closing this target in the AccessManager does not stop anchoring (the
     * governor disallows operators instead). The epoch live at anchoring is not stored: it is
     * derivable from the registry's epoch list and `anchoredAt`.
     */
    function anchor(
        bytes32 modelId,
        bytes32 root,
        uint32 count,
        uint48 firstServedAt,
        uint48 lastServedAt,
        bytes32 fileRef
    ) external {
        if (!_operators[modelId][msg.sender])
            revert AnchorUnauthorizedOperator(modelId, msg.sender);
        if (root == bytes32(0)) revert AnchorZeroRoot(modelId);
        if (count == 0) revert AnchorEmptyBatch(modelId, root);
        Batch storage b = _batches[modelId][msg.sender][root];
        uint48 anchoredAt = b.anchoredAt;
        if (anchoredAt != 0) revert AnchorBatchExists(modelId, root, anchoredAt);
        if (firstServedAt > lastServedAt) revert AnchorReversedRange(firstServedAt, lastServedAt);
        uint48 nowTs = Time.timestamp();
        if (lastServedAt >= nowTs) revert AnchorServedInFuture(lastServedAt, nowTs);
        uint48 maxDelay = _maxAnchorDelay;
        uint48 oldestAllowed = nowTs > maxDelay ? nowTs - maxDelay : 0;
        if (firstServedAt < oldestAllowed) revert AnchorTooLate(firstServedAt, oldestAllowed);

        _batches[modelId][msg.sender][root] = Batch({
            count: count,
            firstServedAt: firstServedAt,
            lastServedAt: lastServedAt,
            anchoredAt: nowTs,
            disputeCount: 0
        });
        emit BatchAnchored(modelId, root, msg.sender, count, firstServedAt, lastServedAt, fileRef);
    }

    // ================================================================ verification

    /// @inheritdoc IInferenceAnchor
    function verifyRecord(
        bytes32 modelId,
        bytes32 root,
        InferenceRecord calldata record,
        bytes32[] calldata proof
    ) external view returns (bool included, uint256 flags, Standing primary) {
        return _verifyOne(modelId, root, record, proof, false, 0);
    }

    /// @inheritdoc IInferenceAnchor
    function verifyRecordWithHint(
        bytes32 modelId,
        bytes32 root,
        InferenceRecord calldata record,
        bytes32[] calldata proof,
        uint32 epochHint
    ) external view returns (bool included, uint256 flags, Standing primary) {
        return _verifyOne(modelId, root, record, proof, true, epochHint);
    }

    /// @inheritdoc IInferenceAnchor
    function verifyRecords(
        bytes32 modelId,
        bytes32 root,
        InferenceRecord[] calldata records,
        bytes32[] calldata proof,
        bool[] calldata proofFlags
    ) external view returns (bool included, uint256[] memory flags, Standing[] memory primary) {
        // OpenZeppelin's multiproof check accepts `root == proof[0]` with no leaves at all.
        if (records.length == 0) revert AnchorEmptyLeaves();
        address node = records[0].node;
        for (uint256 i = 1; i < records.length; ++i) {
            if (records[i].node != node) revert AnchorMixedNodes(node, records[i].node);
        }
        Batch memory b = _batch(modelId, node, root);
        included = _multiproofIncludes(root, records, proof, proofFlags);
        (flags, primary) = _assessAll(modelId, b, records, included);
    }

    /// @inheritdoc IInferenceAnchor
    function verifyAttestation(
        bytes32 modelId,
        bytes32 root,
        InferenceRecord calldata record,
        bytes32[] calldata proof,
        bytes calldata attestation
    ) external view returns (bool valid, AttestationStatus status) {
        Batch memory b = _batch(modelId, record.node, root);
        if (!MerkleProof.verifyCalldata(proof, root, InferenceRecordLib.leaf(record))) {
            return (false, AttestationStatus.NotIncluded);
        }
        (bytes32 blobId, , uint8 mask, address verifier) = registry.versionEssentials(
            modelId,
            record.version
        );
        if (
            record.modelId != modelId ||
            record.format != InferenceRecordLib.FORMAT_V1 ||
            record.blobId != blobId
        ) {
            return (false, AttestationStatus.RecordMismatch);
        }
        uint8 path = record.proofPath;
        if (path != ProofPaths.TEE && path != ProofPaths.ZKML) {
            return (false, AttestationStatus.NoAttestationPath);
        }
        if (!ProofPaths.allows(mask, path)) return (false, AttestationStatus.ProofPathNotAllowed);
        if (keccak256(attestation) != record.proofCommitment) {
            return (false, AttestationStatus.CommitmentMismatch);
        }
        status =
            path == ProofPaths.TEE
                ? _checkEnclaveSignature(b, record, attestation)
                : _checkZkProof(verifier, record, attestation);
        valid = status == AttestationStatus.Valid;
    }

    // ================================================================ views

    /// @inheritdoc IInferenceAnchor
    function getBatch(
        bytes32 modelId,
        address operator,
        bytes32 root
    ) external view returns (Batch memory) {
        return _batches[modelId][operator][root];
    }

    /// @inheritdoc IInferenceAnchor
    function disputesOf(
        bytes32 modelId,
        address operator,
        bytes32 root,
        uint256 offset,
        uint256 limit
    ) external view returns (Dispute[] memory page) {
        Dispute[] storage all = _disputes[modelId][operator][root];
        uint256 start = Math.min(offset, all.length);
        uint256 n = Math.min(limit, all.length - start);
        page = new Dispute[](n);
        for (uint256 i = 0; i < n; ++i) page[i] = all[start + i];
    }

    /// @inheritdoc IInferenceAnchor
    function isOperator(bytes32 modelId, address operator) external view returns (bool) {
        return _operators[modelId][operator];
    }

    /// @inheritdoc IInferenceAnchor
    function enclaveKey(address key) external view returns (EnclaveKey memory) {
        return _enclaveKeys[key];
    }

    /// @inheritdoc IInferenceAnchor
    function maxAnchorDelay() external view returns (uint32) {
        return _maxAnchorDelay;
    }

    /// @inheritdoc IInferenceAnchor
    function attestationDigest(InferenceRecord calldata record) public view returns (bytes32) {
        // Two halves keep abi.encode within the stack without viaIR; the bytes are the same as
        // one abi.encode of the twelve values (every value is one static word).
        bytes memory head = abi.encode(
            ATTESTATION_TYPEHASH,
            record.format,
            record.requestId,
            record.modelId,
            record.version,
            record.blobId,
            record.inputHash
        );
        bytes memory tail = abi.encode(
            record.outputHash,
            record.proofPath,
            record.agent,
            record.node,
            record.servedAt
        );
        return _hashTypedDataV4(keccak256(bytes.concat(head, tail)));
    }

    /// @inheritdoc IInferenceAnchor
    function zkInstances(
        InferenceRecord calldata record
    ) public pure returns (uint256[] memory instances) {
        instances = new uint256[](11);
        (instances[0], instances[1]) = _limbs(record.inputHash);
        (instances[2], instances[3]) = _limbs(record.outputHash);
        (instances[4], instances[5]) = _limbs(record.blobId);
        // The record's identity: a proof made for another request, agent, node or time does
        // not verify for this one (a copied proof reads ProofRejected).
        (instances[6], instances[7]) = _limbs(record.requestId);
        instances[8] = uint160(record.agent);
        instances[9] = uint160(record.node);
        instances[10] = record.servedAt;
    }

    // ================================================================ internals

    /**
     * @dev Who could game it: any role holder can route its call through
     * `AccessManager.execute(target, data)`; the manager then calls at once and this contract
     * would record the manager as the actor, hiding the Safe that acted. Refused: the trail
     * always names the account that holds the role. A scheduled call still works, because its
     * holder calls this contract itself after the delay (the manager only checks the schedule).
     */
    function _checkCanCall(address caller, bytes calldata data) internal override {
        if (caller == authority()) revert AnchorRelayedCall(caller);
        super._checkCanCall(caller, data);
    }

    function _verifyOne(
        bytes32 modelId,
        bytes32 root,
        InferenceRecord calldata record,
        bytes32[] calldata proof,
        bool useHint,
        uint32 hint
    ) private view returns (bool included, uint256 flags, Standing primary) {
        Batch memory b = _batch(modelId, record.node, root);
        if (!MerkleProof.verifyCalldata(proof, root, InferenceRecordLib.leaf(record))) {
            return (false, _flag(Standing.NotIncluded), Standing.NotIncluded);
        }
        flags = _assess(modelId, b, record, useHint, hint);
        return (true, flags, _primary(flags));
    }

    /// @dev Every check of an included record, as flag bits. See the interface doc.
    function _assess(
        bytes32 modelId,
        Batch memory b,
        InferenceRecord calldata r,
        bool useHint,
        uint32 hint
    ) private view returns (uint256 flags) {
        if (r.format != InferenceRecordLib.FORMAT_V1) flags |= _flag(Standing.UnknownFormat);
        if (r.modelId != modelId) flags |= _flag(Standing.WrongModel);

        uint48 servedAt = r.servedAt;
        // One registry call: the version's registered fields and, for a record served before
        // the anchoring (lastServedAt < anchoredAt <= now, so in the past, where the history is
        // final), the epoch live at servedAt. A record served at or after the anchoring is outside
        // its batch's range and the history is not asked about it.
        IModelRegistry.HistoryMode mode =
            servedAt >= b.anchoredAt
                ? IModelRegistry.HistoryMode.Skip
                : (useHint ? IModelRegistry.HistoryMode.Hint : IModelRegistry.HistoryMode.Lookup);
        (bytes32 blobId, uint256 packed) = registry.recordContext(
            modelId,
            r.version,
            servedAt,
            mode,
            hint
        );
        flags |= _versionFlags(r, blobId, packed, b.anchoredAt);
        if (servedAt < b.firstServedAt || servedAt > b.lastServedAt) {
            flags |= _flag(Standing.OutsideBatchRange);
        }
        if (mode != IModelRegistry.HistoryMode.Skip) {
            uint32 epoch = uint32(packed >> 16);
            uint48 endTime = uint48(packed >> 80);
            if (epoch == 0 || uint32(packed >> 48) != r.version) {
                flags |= _flag(Standing.NotLive);
            } else if (endTime != 0 && endTime <= b.anchoredAt) {
                flags |= _flag(Standing.Unconfirmable);
            }
        }
        if (b.disputeCount != 0) flags |= _flag(Standing.BatchDisputed);
    }

    /**
     * @dev The flags about the claimed version itself, from the registry's packed context. Each
     * derives from a fact that never changes back, so a later block only ever adds flags:
     * UnknownVersion from "not registered before the batch was anchored" (a version registered
     * later cannot turn it into another standing), VersionFaulty from the Faulty status (terminal),
     * VersionWithdrawn from the latest withdrawal time (only moves forward), never from the
     * current status, which a re-proposal of a Withdrawn version changes back and forth.
     */
    function _versionFlags(
        InferenceRecord calldata r,
        bytes32 blobId,
        uint256 packed,
        uint48 anchoredAt
    ) private pure returns (uint256 flags) {
        IModelRegistry.VersionStatus status = IModelRegistry.VersionStatus(uint8(packed));
        if (status == IModelRegistry.VersionStatus.None || uint48(packed >> 128) >= anchoredAt) {
            return _flag(Standing.UnknownVersion);
        }
        if (r.blobId != blobId) flags |= _flag(Standing.WrongBlob);
        if (!ProofPaths.allows(uint8(packed >> 8), r.proofPath)) {
            flags |= _flag(Standing.ProofPathNotAllowed);
        }
        if (status == IModelRegistry.VersionStatus.Faulty) flags |= _flag(Standing.VersionFaulty);
        if (packed & (uint256(1) << 176) != 0) flags |= _flag(Standing.VersionWithdrawn);
    }

    function _multiproofIncludes(
        bytes32 root,
        InferenceRecord[] calldata records,
        bytes32[] calldata proof,
        bool[] calldata proofFlags
    ) private pure returns (bool) {
        bytes32[] memory leaves = new bytes32[](records.length);
        for (uint256 i = 0; i < records.length; ++i)
            leaves[i] = InferenceRecordLib.leaf(records[i]);
        return MerkleProof.multiProofVerifyCalldata(proof, proofFlags, root, leaves);
    }

    function _assessAll(
        bytes32 modelId,
        Batch memory b,
        InferenceRecord[] calldata records,
        bool included
    ) private view returns (uint256[] memory flags, Standing[] memory primary) {
        uint256 n = records.length;
        flags = new uint256[](n);
        primary = new Standing[](n);
        for (uint256 i = 0; i < n; ++i) {
            flags[i] =
                included ? _assess(modelId, b, records[i], false, 0) : _flag(Standing.NotIncluded);
            primary[i] = _primary(flags[i]);
        }
    }

    function _checkEnclaveSignature(
        Batch memory b,
        InferenceRecord calldata record,
        bytes calldata signature
    ) private view returns (AttestationStatus) {
        // tryRecover accepts only 65-byte, low-s signatures.
        (address key, ECDSA.RecoverError err, ) = ECDSA.tryRecover(
            attestationDigest(record),
            signature
        );
        if (err != ECDSA.RecoverError.NoError) return AttestationStatus.BadSignature;
        EnclaveKey memory k = _enclaveKeys[key];
        if (k.registeredAt == 0) return AttestationStatus.UnknownKey;
        if (k.node != record.node) return AttestationStatus.WrongNode;
        if (k.registeredAt > record.servedAt) return AttestationStatus.KeyNotYetRegistered;
        if (k.revokedAt != 0 && b.anchoredAt >= k.revokedAt) return AttestationStatus.KeyRevoked;
        return AttestationStatus.Valid;
    }

    function _checkZkProof(
        address verifier,
        InferenceRecord calldata record,
        bytes calldata proof
    ) private view returns (AttestationStatus) {
        bytes memory callData = abi.encodeCall(
            IZkVerifier.verifyProof,
            (proof, zkInstances(record))
        );
        // 63/64 of what is left is forwarded: make sure that is the full budget, so the outcome
        // depends on the proof, never on the gas the caller chose to send.
        uint256 required = (ZK_VERIFIER_GAS * 64) / 63 + 10_000;
        if (gasleft() < required) revert AnchorInsufficientGas(gasleft(), required);
        bool success;
        uint256 answer;
        uint256 answerSize;
        uint256 budget = ZK_VERIFIER_GAS;
        assembly ("memory-safe") {
            // Copy at most one word of the answer: a verifier cannot make us copy megabytes.
            success := staticcall(budget, verifier, add(callData, 0x20), mload(callData), 0, 0x20)
            answerSize := returndatasize()
            answer := mload(0)
        }
        // Anything but a clean `true` (a revert, no answer, a longer answer, any other word) rejects.
        bool accepted = success && answerSize == 32 && answer == 1;
        return accepted ? AttestationStatus.Valid : AttestationStatus.ProofRejected;
    }

    function _batch(
        bytes32 modelId,
        address node,
        bytes32 root
    ) private view returns (Batch memory b) {
        b = _batches[modelId][node][root];
        if (b.anchoredAt == 0) revert AnchorUnknownBatch(modelId, node, root);
    }

    function _checkPeriod(uint32 value) private pure {
        if (value < MIN_ANCHOR_DELAY || value > MAX_ANCHOR_DELAY) {
            revert AnchorInvalidPeriod(value, MIN_ANCHOR_DELAY, MAX_ANCHOR_DELAY);
        }
    }

    function _flag(Standing s) private pure returns (uint256) {
        return uint256(1) << uint8(s);
    }

    /// @dev The set flag of lowest bit is the primary standing (the documented precedence).
    function _primary(uint256 flags) private pure returns (Standing) {
        if (flags == 0) return Standing.Conforming;
        uint256 lowest = flags & (~flags + 1);
        return Standing(Math.log2(lowest));
    }

    function _limbs(bytes32 value) private pure returns (uint256 high, uint256 low) {
        return (uint256(value) >> 128, uint256(value) & _LIMB_MASK);
    }
}
