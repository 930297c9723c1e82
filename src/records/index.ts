/**
 * Records, leaves, Merkle trees and batches: what a node operator builds and what anyone needs to
 * check a record without our contracts.
 *
 * ```ts
 * const summary = await buildBatch("records.jsonl", "out/batch-1");  // batch.json, tree, proofs
 * const tree = RecordMerkleTree.fromRecords([record]);
 * verifyProof(recordLeaf(record), proof, summary.root);               // true
 * ```
 *
 * The leaf is the @openzeppelin/merkle-tree StandardMerkleTree leaf of the record's twelve fields
 * (RECORD_TYPES), so a tree dumped here loads in StandardMerkleTree and vice versa.
 *
 * @module rollback-trail/records
 */
export {
  type InferenceRecord,
  RECORD_FIELDS,
  RECORD_FORMAT_V1,
  RECORD_TYPES,
  RecordError,
  decodeRecord,
  encodeRecord,
  leafHash,
  parseRecord,
  recordLeaf,
  recordStruct,
  recordValues,
} from "./record.js";
export {
  type HashLike,
  type LeafMultiProof,
  MerkleError,
  type PackedProofs,
  RecordMerkleTree,
  type RecordTreeDump,
  type RecordValues,
  processMultiProof,
  processProof,
  verifyMultiProof,
  verifyProof,
} from "./merkle.js";
export {
  type BatchMeta,
  type BatchSummary,
  type WrittenBatchSummary,
  TREE_JSON_MAX_RECORDS,
  buildBatch,
  readRecordsFile,
  writeBatchDir,
} from "./batch.js";
export { BatchFileError, parseBatchFile } from "./batch-file.js";
export { ATTESTATION_TYPES, attestationDomain, signAttestation } from "./attestation.js";
export {
  ATTESTATION_STATUSES,
  STANDINGS,
  type StandingInfo,
  type StandingName,
  decodeFlags,
  flagOf,
  standingAt,
} from "./standing.js";
