/**
 * What a node operator runs against the chain: anchor a batch built with `buildBatch`, find a
 * record's proof in a batch folder, verify it on-chain against the version live at its time, and
 * acknowledge the live epoch after each switch.
 *
 * ```ts
 * const summary = readBatchSummary("out/batch-1");
 * await anchorBatch(anchor, nodeSigner, summary);                 // once per (model, node, root)
 * const [entry] = await findEntries("out/batch-1", "proofs.jsonl", requestId);
 * const now = (await provider.getBlock("latest"))!.timestamp;
 * const verdict = await verifyEntry(anchor, registry, summary.modelId, summary.root, entry, BigInt(now));
 * console.log(describeVerdict(entry, verdict).join("\n"));       // included: yes, standing: …
 * ```
 *
 * @module rollback-trail/node
 */
export {
  type AnchorOutcome,
  type ProofEntry,
  type Verdict,
  anchorBatch,
  defaultFileRef,
  describeVerdict,
  findEntries,
  parseProofEntry,
  readBatchSummary,
  verifyEntry,
} from "./anchoring.js";
export { type AckOutcome, acknowledgeLive } from "./routing.js";
