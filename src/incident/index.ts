/**
 * The incident report (`npm run incident`): after an incident, what happened while a version was
 * live, proven from the chain and the records' storage alone.
 *
 * ```ts
 * const report = await incidentReport({ provider, registry, anchor, settlement, actionLog,
 *                                       modelId, version: 2, sources: [parseSource("dir:…")] });
 * console.log(formatIncidentReport(report));   // or incidentReportJson(report)
 * ```
 *
 * What it reads, all at one block (the latest when the report starts):
 * - the registry (./version.ts): the version's record, its windows (one that opened and closed in
 *   one block was never live), its incidents, and what is live now;
 * - events, by eth_getLogs in bounded block ranges from a start block (by default the block its
 *   first window opened in):
 *   - payments bound to the version's epochs, their state and what each side can still do
 *     (./payments.ts, ./service.ts), checked against the settlement's volume counters;
 *   - agents' actions logged while it was live or proven about its outputs (./actions.ts);
 *   - every batch that bears on the version and its disputes (./batches.ts), whether or not its
 *     records can be obtained;
 * - each batch's records (./evidence.ts): from the directories given (matched by node and
 *   recomputed root) or by the anchored file reference from the local store and the sources,
 *   checked against the anchored reference, root and count: each batch is verified, missing or
 *   corrupt, and only a verified batch's records count;
 * - every record claiming the version in the verified batches, verified on-chain (./records.ts).
 *
 * What could not be obtained or trusted is listed in `problems` (and counter mismatches in
 * `warnings`); `complete` is true only when both are empty. The report is plain data, so that
 * `JSON.stringify` prints it as is.
 *
 * @module rollback-trail/incident
 */
export { incidentReport } from "./report.js";
export { formatIncidentReport, incidentReportJson, summarizeIncident } from "./format.js";
export { renderHtml } from "./html.js";
export { renderMarkdown } from "./markdown.js";
export { formatAmount, formatDuration, formatTime, type FormatOptions } from "./words.js";
// The command line's own parsing, exit codes and labels file (./args.js) are not public: that
// module also opens Hardhat networks, and its declarations name Hardhat's types.
export { DOSSIER_FILES, writeDossier } from "./dossier.js";
export { dossierDifferences, readDossierHead, RecordDigest } from "./check.js";
export { classifyRecord, readRegistrySnapshot } from "./classify.js";
export * from "./types.js";
export {
  DISPOSITION_NAMES,
  END_REASONS,
  PROOF_PATHS,
  REFUND_REASONS,
  SETTLEMENT_STATES,
  VERSION_STATUSES,
} from "./names.js";
