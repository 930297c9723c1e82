// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @notice One inference, as a node serves it. Every field is static, so `abi.encode(record)` is
 * twelve 32-byte words, one per field in this order: the same bytes as encoding field by field.
 * @dev The TypeScript twin is `src/records/record.ts` (RECORD_FIELDS / RECORD_TYPES). The field
 * order is the wire format (the leaf), not a storage layout: records are never stored.
 */
// solhint-disable-next-line gas-struct-packing
struct InferenceRecord {
    uint8 format; // record format version (1): the leaf can evolve
    bytes32 requestId;
    bytes32 modelId;
    uint32 version; // the version the node claims it served
    bytes32 blobId; // the weights artifact the node loaded
    bytes32 inputHash;
    bytes32 outputHash;
    uint8 proofPath; // ProofPaths: none / TEE / ZKML / optimistic
    bytes32 proofCommitment; // keccak256 of the attestation (TEE signature or ZK proof)
    address agent; // who asked
    address node; // who served
    uint48 servedAt; // the node's claim: bounded by the batch, never trusted alone
}

/**
 * @title InferenceRecordLib
 * @notice The leaf of an inference record: exactly the `@openzeppelin/merkle-tree`
 * StandardMerkleTree leaf for the record's twelve types,
 * `keccak256(bytes.concat(keccak256(abi.encode(record))))`. Hashing twice keeps a 64-byte
 * internal node from ever passing as a leaf (second-preimage safety).
 */
library InferenceRecordLib {
    /// @notice The only record format defined so far.
    uint8 internal constant FORMAT_V1 = 1;

    /// @notice The Merkle leaf of `record`.
    function leaf(InferenceRecord calldata record) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(record))));
    }

    /// @notice The Merkle leaf of `record` held in memory.
    function leafMemory(InferenceRecord memory record) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(record))));
    }
}
