/**
 * rollback-trail: the TypeScript SDK of the rollback trail. The package's entry point holds what
 * most users need; each concern has its own entry (`rollback-trail/records`, `/chain`, `/store`,
 * `/node`, `/governance`, `/deploy`, `/incident`, `/watch`, `/contracts`) with the rest.
 *
 * ```ts
 * import { ModelRegistry__factory, InferenceAnchor__factory, buildBatch, readBatchSummary,
 *          anchorBatch, findEntries, verifyEntry, describeVerdict } from "rollback-trail";
 * ```
 *
 * Every expected failure (bad input, a refusal) is a TrailError with a one-line message.
 *
 * @module rollback-trail
 */
export { TrailError } from "./ground/errors.js";
export * from "./contracts/index.js";
export {
  type InferenceRecord,
  RECORD_FORMAT_V1,
  RecordError,
  RecordMerkleTree,
  buildBatch,
  decodeFlags,
  encodeRecord,
  parseRecord,
  recordLeaf,
  standingAt,
  verifyProof,
  type BatchSummary,
} from "./records/index.js";
export {
  type AnchorOutcome,
  type ProofEntry,
  type Verdict,
  acknowledgeLive,
  anchorBatch,
  describeVerdict,
  findEntries,
  readBatchSummary,
  verifyEntry,
} from "./node/index.js";
export { ProofPath, Standing, VersionStatus, epochHint, retryingProvider } from "./chain/index.js";
export { deploySuite } from "./deploy/index.js";
export {
  type IncidentReport,
  type IncidentReportOptions,
  formatIncidentReport,
  incidentReport,
  incidentReportJson,
} from "./incident/index.js";
