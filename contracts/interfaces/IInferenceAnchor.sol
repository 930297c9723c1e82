// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {InferenceRecord} from "../libraries/InferenceRecordLib.sol";

/**
 * @title IInferenceAnchor
 * @notice Inference nodes anchor Merkle roots of the records they served; anyone verifies a record
 * against an anchored root, on-chain, and learns whether the version it claims was really live
 * when it says it was served. Roots live in state (not only in an event), keyed by
 * `(modelId, node, root)`, and are never removed; disputes are appended beside them.
 *
 * A node anchors its own records: a record is always verified against the batches anchored by
 * `record.node` (the operator address that anchors is the node's identity). So nobody can squat a
 * root copied from the mempool, and nobody can re-anchor another node's records under other
 * metadata (a narrower range, a later anchoring time) to make them read non-conforming.
 *
 * What "Conforming" does not cover: attestations. {verifyRecord} judges a record against the
 * registry's history; whether a TEE or ZKML record carries a valid attestation is
 * {verifyAttestation}'s separate answer.
 *
 * Standing of a record. Each check sets one flag bit, `1 << uint8(Standing.X)`; the primary
 * standing is the set flag of lowest bit, i.e. this precedence (most severe first):
 *  1 NotIncluded        the proof does not put the record in the anchored batch
 *  2 UnknownFormat      the record format is not one this contract knows (only 1)
 *  3 WrongModel         `record.modelId` is not the batch's model
 *  4 UnknownVersion     the claimed version was not registered before the batch was anchored
 *  5 WrongBlob          `record.blobId` is not the registered version's weights
 *  6 ProofPathNotAllowed the version may not be served with `record.proofPath`
 *  7 OutsideBatchRange  `servedAt` is outside the batch's declared `[first, last]` range
 *  8 NotLive            the claimed version was not live at `servedAt` (e.g. a stale node still
 *                       serving the old release after a rollback, or serving before activation)
 *  9 Unconfirmable      the claimed version was live at `servedAt`, but that window closed at or
 *                       before the batch's anchoring time: a node that served later could have
 *                       backdated the record, so it cannot pass as conforming
 * 10 VersionFaulty      the version has been marked Faulty (terminal)
 * 11 VersionWithdrawn   the version was marked Withdrawn at or after `servedAt` (kept when it
 *                       is proposed or promoted again, or escalated to Faulty, later)
 * 12 BatchDisputed      the guardian disputed the batch
 *  0 Conforming         no flag: the claimed version was live at `servedAt` and stayed live
 *                       until the batch was anchored, with its registered weights and an
 *                       allowed proof path, in an undisputed batch.
 * When the record is not included only NotIncluded is reported: nothing else about it is proven.
 * Standings are monotone: every flag derives from facts written once, so from the block after the
 * batch's anchoring the flags of a record only ever grow, and only by VersionFaulty,
 * VersionWithdrawn and BatchDisputed; no governance act removes one (see the README).
 * Every verify function reverts with {AnchorUnknownBatch} when `record.node` anchored no such root.
 */
interface IInferenceAnchor {
    // ---------------------------------------------------------------- types

    /// @notice A record's standing; also the bit position of its flag. See the contract doc.
    enum Standing {
        Conforming,
        NotIncluded,
        UnknownFormat,
        WrongModel,
        UnknownVersion,
        WrongBlob,
        ProofPathNotAllowed,
        OutsideBatchRange,
        NotLive,
        Unconfirmable,
        VersionFaulty,
        VersionWithdrawn,
        BatchDisputed
    }

    /// @notice The outcome of {verifyAttestation}.
    enum AttestationStatus {
        Valid,
        NotIncluded,
        RecordMismatch,
        NoAttestationPath,
        ProofPathNotAllowed,
        CommitmentMismatch,
        BadSignature,
        UnknownKey,
        WrongNode,
        KeyNotYetRegistered,
        KeyRevoked,
        ProofRejected
    }

    /**
     * @notice What verification depends on, in one slot (the node is part of the key). Only
     * indexers need the file location: it is in {BatchAnchored}.
     */
    struct Batch {
        uint32 count;
        uint48 firstServedAt;
        uint48 lastServedAt;
        uint48 anchoredAt;
        uint32 disputeCount;
    }

    /// @notice A dispute of a batch by the guardian. Appended, never removed or replaced.
    struct Dispute {
        address by;
        uint48 at;
        bytes32 reasonHash;
        string reasonURI;
    }

    /// @notice A TEE enclave signing key, bound to one node. One slot.
    struct EnclaveKey {
        address node;
        uint48 registeredAt;
        uint48 revokedAt;
    }

    // ---------------------------------------------------------------- events

    /// @notice `operator` (a node) may (or may no longer) anchor batches of `modelId`.
    event OperatorSet(bytes32 indexed modelId, address indexed operator, bool allowed);
    /// @notice A batch was anchored. `fileRef` locates the batch file (e.g. a Walrus blob id).
    event BatchAnchored(
        bytes32 indexed modelId,
        bytes32 indexed root,
        address indexed operator,
        uint32 count,
        uint48 firstServedAt,
        uint48 lastServedAt,
        bytes32 fileRef
    );
    /// @notice The guardian disputed a batch.
    event BatchDisputed(
        bytes32 indexed modelId,
        bytes32 indexed root,
        address indexed operator,
        uint32 disputeIndex,
        address by,
        bytes32 reasonHash,
        string reasonURI
    );
    /// @notice A TEE enclave key was registered for `node`.
    event EnclaveKeyRegistered(address indexed key, address indexed node, address by);
    /// @notice A TEE enclave key was revoked. Records anchored before stay valid.
    event EnclaveKeyRevoked(
        address indexed key,
        address indexed node,
        address by,
        bytes32 reasonHash
    );
    /// @notice The backdating bound changed.
    event MaxAnchorDelaySet(uint32 oldDelay, uint32 newDelay);

    // ---------------------------------------------------------------- errors

    /// @notice The registry has no model `modelId`.
    error AnchorUnknownModel(bytes32 modelId);
    /// @notice An operator or node address of zero.
    error AnchorZeroAddress();
    /// @notice The call came through the AccessManager (`execute`): the trail would name the
    /// manager instead of the role holder. Call directly from the account holding the role.
    error AnchorRelayedCall(address authority);
    /// @notice `account` is not an allowed operator of `modelId` (or the model is unknown).
    error AnchorUnauthorizedOperator(bytes32 modelId, address account);
    /// @notice A batch root of zero.
    error AnchorZeroRoot(bytes32 modelId);
    /// @notice A batch of no records.
    error AnchorEmptyBatch(bytes32 modelId, bytes32 root);
    /// @notice The caller anchored `root` for `modelId` already.
    error AnchorBatchExists(bytes32 modelId, bytes32 root, uint48 anchoredAt);
    /// @notice `firstServedAt` is after `lastServedAt`.
    error AnchorReversedRange(uint48 firstServedAt, uint48 lastServedAt);
    /// @notice `lastServedAt` is not in the past: records of the current second may still be
    /// served after the anchor in the same second, so they wait for the next batch.
    error AnchorServedInFuture(uint48 lastServedAt, uint48 currentTime);
    /// @notice `firstServedAt` is older than `maxAnchorDelay` allows.
    error AnchorTooLate(uint48 firstServedAt, uint48 oldestAllowed);
    /// @notice `operator` anchored no batch `root` of `modelId`.
    error AnchorUnknownBatch(bytes32 modelId, address operator, bytes32 root);
    /// @notice A multiproof over no records (it would prove nothing).
    error AnchorEmptyLeaves();
    /// @notice A multiproof's records name several nodes; a batch holds one node's records.
    error AnchorMixedNodes(address first, address other);
    /// @notice Not enough gas left to give the ZK verifier its full budget.
    error AnchorInsufficientGas(uint256 available, uint256 required);
    /// @notice The enclave key was registered before; keys are never re-registered.
    error AnchorEnclaveKeyExists(address key, address node);
    /// @notice No such enclave key.
    error AnchorUnknownEnclaveKey(address key);
    /// @notice The enclave key was revoked already.
    error AnchorEnclaveKeyRevoked(address key, uint48 revokedAt);
    /// @notice A delay outside its bounds.
    error AnchorInvalidPeriod(uint32 value, uint32 min, uint32 max);

    // ---------------------------------------------------------------- governance

    /**
     * @notice Allows or disallows `operator` to anchor batches of `modelId` (GOVERNOR).
     * @dev Emits {OperatorSet}.
     */
    function setOperator(bytes32 modelId, address operator, bool allowed) external;

    /**
     * @notice Sets how old the first record of a new batch may be (GOVERNOR).
     * @dev Emits {MaxAnchorDelaySet}.
     */
    function setMaxAnchorDelay(uint32 newDelay) external;

    /**
     * @notice Registers a TEE enclave signing key for `node` (GOVERNOR). Never re-registered.
     * @dev Emits {EnclaveKeyRegistered}.
     */
    function registerEnclaveKey(address key, address node) external;

    /**
     * @notice Revokes an enclave key (GUARDIAN). Records of batches anchored before stay valid.
     * @dev Emits {EnclaveKeyRevoked}.
     */
    function revokeEnclaveKey(address key, bytes32 reasonHash) external;

    /**
     * @notice Disputes a batch (GUARDIAN). Appended; verification reports it.
     * @dev Emits {BatchDisputed}.
     */
    function disputeBatch(
        bytes32 modelId,
        address operator,
        bytes32 root,
        bytes32 reasonHash,
        string calldata reasonURI
    ) external returns (uint32 disputeIndex);

    // ---------------------------------------------------------------- operators

    /**
     * @notice Anchors the root of a batch of `count` records the caller (a node allowed for
     * `modelId`) served in `[firstServedAt, lastServedAt]`, under the key
     * `(modelId, msg.sender, root)`. Accepted for paused models and for Faulty or Withdrawn
     * versions: those records are the evidence.
     * @dev Emits {BatchAnchored}.
     */
    function anchor(
        bytes32 modelId,
        bytes32 root,
        uint32 count,
        uint48 firstServedAt,
        uint48 lastServedAt,
        bytes32 fileRef
    ) external;

    // ---------------------------------------------------------------- anyone

    /// @notice Verifies `record` against the batch `root` anchored by `record.node` for `modelId`.
    /// See the contract doc.
    function verifyRecord(
        bytes32 modelId,
        bytes32 root,
        InferenceRecord calldata record,
        bytes32[] calldata proof
    ) external view returns (bool included, uint256 flags, Standing primary);

    /**
     * @notice {verifyRecord} with the epoch live at `record.servedAt` given as a hint, which the
     * registry checks in O(1) (for a time when nothing was live: the last epoch before it).
     * A wrong hint reverts with the registry's `ModelRegistryBadEpochHint` whenever the history
     * is consulted (not for a record that is not included, nor one outside its batch's range at
     * or after the anchoring).
     */
    function verifyRecordWithHint(
        bytes32 modelId,
        bytes32 root,
        InferenceRecord calldata record,
        bytes32[] calldata proof,
        uint32 epochHint
    ) external view returns (bool included, uint256 flags, Standing primary);

    /**
     * @notice Verifies several records of one batch with one OpenZeppelin multiproof. `records`
     * are in the multiproof's leaf order and name one node. If the multiproof does not prove
     * them, every record reports NotIncluded; a malformed multiproof reverts with OpenZeppelin's
     * `MerkleProofInvalidMultiproof`.
     */
    function verifyRecords(
        bytes32 modelId,
        bytes32 root,
        InferenceRecord[] calldata records,
        bytes32[] calldata proof,
        bool[] calldata proofFlags
    ) external view returns (bool included, uint256[] memory flags, Standing[] memory primary);

    /**
     * @notice Checks the record's attestation. TEE: `attestation` is the enclave's 65-byte
     * EIP-712 signature of the record (every field but `proofCommitment`), by a key registered
     * for `record.node` no later than `servedAt` and not revoked before the batch was anchored.
     * ZKML: `attestation` is the proof, checked by the version's verifier on public inputs
     * derived from the record. In both cases `proofCommitment` must be `keccak256(attestation)`
     * and the record must be in the anchored batch, of `modelId`, in the known format, with the
     * version's registered blob id (RecordMismatch otherwise). The ZK verifier gets a fixed gas
     * budget (`ZK_VERIFIER_GAS`): the call reverts if the caller did not leave enough, so that a
     * caller cannot starve a verifier into rejecting an honest proof.
     */
    function verifyAttestation(
        bytes32 modelId,
        bytes32 root,
        InferenceRecord calldata record,
        bytes32[] calldata proof,
        bytes calldata attestation
    ) external view returns (bool valid, AttestationStatus status);

    /// @notice The batch `root` anchored by `operator` for `modelId` (all zero if none).
    function getBatch(
        bytes32 modelId,
        address operator,
        bytes32 root
    ) external view returns (Batch memory);

    /// @notice Disputes of a batch, `[offset, offset + limit)` in order.
    function disputesOf(
        bytes32 modelId,
        address operator,
        bytes32 root,
        uint256 offset,
        uint256 limit
    ) external view returns (Dispute[] memory);

    /// @notice Whether `operator` may anchor batches of `modelId` now.
    function isOperator(bytes32 modelId, address operator) external view returns (bool);

    /// @notice An enclave key's record.
    function enclaveKey(address key) external view returns (EnclaveKey memory);

    /// @notice How old the first record of a new batch may be, in seconds.
    function maxAnchorDelay() external view returns (uint32);

    /// @notice The EIP-712 digest an enclave signs for `record`.
    function attestationDigest(InferenceRecord calldata record) external view returns (bytes32);

    /**
     * @notice The ZK public inputs derived from `record`: input hash, output hash, blob id and
     * request id, each as two 128-bit limbs (high first), then the agent, the node and `servedAt`
     * (each below 2^160), so every one is a valid BN254 field element. Binding the request, agent,
     * node and time makes a proof valid for this record only: a node that copies another node's
     * published proof into its own record (another request, agent, node or time) reads
     * ProofRejected. What a Valid ZK attestation proves: that the verifier's circuit accepted
     * this output for this input under these weights, in a proof made for this request, agent,
     * node and time. It does not prove when the inference ran (`servedAt` is the node's claim,
     * bound by its batch), that the node ran it itself rather than buying the proof from a prover
     * for exactly this record, or that the agent received the output.
     */
    function zkInstances(InferenceRecord calldata record) external pure returns (uint256[] memory);
}
