/**
 * What `npm run batch:anchor` and `npm run record:verify` do, apart from argument parsing and the
 * network connection: so that tests can run them against any connection.
 */
import { createReadStream, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

import { type Signer, isHexString, keccak256, toUtf8Bytes } from "ethers";

import type { InferenceAnchor, ModelRegistry } from "../../types/ethers-contracts/index.js";
import type { BatchSummary } from "../records/batch.js";
import { describeFailedSend, describeRevert, epochHint } from "../chain/chain.js";
import { CliError, describeFsError, fail } from "../ground/cli.js";
import { type InferenceRecord, RecordError, parseRecord } from "../records/record.js";
import { decodeFlags, standingAt } from "../records/standing.js";

/**
 * batch.json of a batch directory, checked. A legacy batch.json (without `fileRef` and
 * `files.batch`, from before content addressing) is accepted too.
 */
export function readBatchSummary(dir: string): BatchSummary & { text: string } {
  const path = join(dir, "batch.json");
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    fail(`cannot read ${path}: ${describeFsError(e)}`);
  }
  let summary: BatchSummary;
  try {
    summary = JSON.parse(text);
  } catch {
    fail(`${path} is not valid JSON`);
  }
  const ok =
    typeof summary === "object" &&
    summary !== null &&
    isHexString(summary.root, 32) &&
    isHexString(summary.modelId, 32) &&
    Number.isSafeInteger(summary.count) &&
    summary.count > 0 &&
    summary.count < 2 ** 32 &&
    Number.isSafeInteger(summary.firstServedAt) &&
    Number.isSafeInteger(summary.lastServedAt) &&
    typeof summary.files?.proofs === "string" &&
    (summary.files.batch === undefined || typeof summary.files.batch === "string");
  if (!ok) fail(`${path} is not a batch summary written by batch:build`);
  // Absent from a legacy batch.json (built before content addressing); if present, a bytes32.
  if (summary.fileRef !== undefined && !isHexString(summary.fileRef, 32)) {
    fail(`${path}: fileRef must be 32 bytes of hex (the SHA-256 of batch.jsonl)`);
  }
  return { ...summary, text };
}

/** How a batch stands on-chain after `anchorBatch`. */
export interface AnchorOutcome {
  status: "anchored" | "already-anchored";
  anchoredAt: bigint;
  operator: string;
  txHash?: string;
  blockNumber?: number;
  gasUsed?: bigint;
  /** The file reference sent ("anchored" only). */
  fileRef?: string;
}

/**
 * The file reference anchored for a batch by default: its `fileRef` (the SHA-256 of batch.jsonl,
 * by which the file can be fetched from any store). A legacy batch.json has none; then the
 * keccak256 of batch.json's text, as before content addressing: it identifies the summary but
 * resolves to no file in any store.
 */
export function defaultFileRef(summary: BatchSummary & { text: string }): string {
  return summary.fileRef ?? keccak256(toUtf8Bytes(summary.text));
}

/**
 * Anchors the batch unless it is anchored already (then reports it and sends nothing). The call
 * is simulated first: a revert is reported in words and nothing is sent. A transaction that fails
 * leaves nothing behind, so the command can simply be run again.
 * @param fileRef the file reference to anchor; default defaultFileRef(summary).
 */
export async function anchorBatch(
  anchor: InferenceAnchor,
  signer: Signer,
  summary: BatchSummary & { text: string },
  fileRef: string = defaultFileRef(summary),
): Promise<AnchorOutcome> {
  // Batches are keyed by (model, node, root): the signer anchors as the node.
  const operator = await signer.getAddress();
  const existing = await anchor.getBatch(summary.modelId, operator, summary.root);
  if (existing.anchoredAt !== 0n) {
    return {
      status: "already-anchored",
      anchoredAt: existing.anchoredAt,
      operator,
    };
  }
  const asOperator = anchor.connect(signer);
  const args = [
    summary.modelId,
    summary.root,
    summary.count,
    summary.firstServedAt,
    summary.lastServedAt,
    fileRef,
  ] as const;
  try {
    await asOperator.anchor.staticCall(...args);
  } catch (e) {
    fail(`anchoring would revert: ${describeRevert(e, [anchor.interface])}; nothing was sent`);
  }
  let receipt;
  try {
    receipt = await (await asOperator.anchor(...args)).wait();
  } catch (e) {
    const why = await describeFailedSend(e, [anchor.interface], signer.provider);
    fail(`the anchoring transaction failed: ${why}; run again`);
  }
  if (receipt === null) fail("the anchoring transaction has no receipt; run again");
  const batch = await anchor.getBatch(summary.modelId, operator, summary.root);
  return {
    status: "anchored",
    anchoredAt: batch.anchoredAt,
    operator,
    txHash: receipt.hash,
    blockNumber: receipt.blockNumber,
    gasUsed: receipt.gasUsed,
    fileRef,
  };
}

/** One line of proofs.jsonl, checked. */
export interface ProofEntry {
  index: number;
  record: InferenceRecord;
  proof: string[];
}

/** Checks a parsed proofs.jsonl line (or a standalone entry file). */
export function parseProofEntry(value: unknown, where: string): ProofEntry {
  const v = value as { index?: unknown; record?: unknown; proof?: unknown };
  if (typeof v !== "object" || v === null) fail(`${where}: not a JSON object`);
  let record: InferenceRecord;
  try {
    record = parseRecord(v.record);
  } catch (e) {
    if (e instanceof RecordError) fail(`${where}: record: ${e.message}`);
    throw e;
  }
  if (!Array.isArray(v.proof) || !v.proof.every((p) => isHexString(p, 32))) {
    fail(`${where}: proof must be a list of 32-byte hex strings`);
  }
  return { index: typeof v.index === "number" ? v.index : -1, record, proof: v.proof as string[] };
}

/** The entries of proofs.jsonl whose record has `requestId`, read as a stream. */
export async function findEntries(
  dir: string,
  proofsFile: string,
  requestId: string,
): Promise<ProofEntry[]> {
  const path = join(dir, proofsFile);
  const wanted = requestId.toLowerCase();
  const found: ProofEntry[] = [];
  try {
    const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
    let lineNo = 0;
    for await (const line of lines) {
      lineNo++;
      // Cheap filter first: most lines are other requests.
      if (!line.toLowerCase().includes(wanted.slice(2))) continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        fail(`${path} line ${lineNo}: not valid JSON`);
      }
      const entry = parseProofEntry(value, `${path} line ${lineNo}`);
      if (entry.record.requestId === wanted) found.push(entry);
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    fail(`cannot read ${path}: ${describeFsError(e)}`);
  }
  return found;
}

/** What verification says about one record. */
export interface Verdict {
  included: boolean;
  flags: bigint;
  primary: bigint;
  hint: bigint | null;
  liveVersionThen: bigint | null;
}

/**
 * Verifies an entry on-chain: with the epoch hint of its servedAt (computed here, checked by the
 * contract) once that time is in the past, else without.
 */
export async function verifyEntry(
  anchor: InferenceAnchor,
  registry: ModelRegistry,
  modelId: string,
  root: string,
  entry: ProofEntry,
  latestTimestamp: bigint,
): Promise<Verdict> {
  const batch = await anchor.getBatch(modelId, entry.record.node, root);
  if (batch.anchoredAt === 0n) {
    fail(`node ${entry.record.node} anchored no batch ${root} of model ${modelId} on this network`);
  }
  const servedAt = BigInt(entry.record.servedAt);
  const ifaces = [anchor.interface, registry.interface];
  try {
    if (servedAt < latestTimestamp && servedAt <= batch.anchoredAt) {
      const hint = await epochHint(registry, modelId, servedAt);
      const [included, flags, primary] = await anchor.verifyRecordWithHint(
        modelId,
        root,
        entry.record,
        entry.proof,
        hint,
      );
      const liveVersionThen = hint === 0n ? 0n : await registry.versionAt(modelId, servedAt);
      return { included, flags, primary, hint, liveVersionThen };
    }
    const [included, flags, primary] = await anchor.verifyRecord(
      modelId,
      root,
      entry.record,
      entry.proof,
    );
    return { included, flags, primary, hint: null, liveVersionThen: null };
  } catch (e) {
    if (e instanceof CliError) throw e;
    fail(`verification reverted: ${describeRevert(e, ifaces)}`);
  }
}

/** The verdict in words, one fact per line. */
export function describeVerdict(entry: ProofEntry, verdict: Verdict): string[] {
  const s = standingAt(verdict.primary);
  const when = new Date(entry.record.servedAt * 1000).toISOString();
  const lines = [
    `included: ${verdict.included ? "yes" : "no"}`,
    `standing: ${s.name}: ${s.words}`,
    `flags: ${decodeFlags(verdict.flags).join(", ") || "none"}`,
    `claimed: version ${entry.record.version} of model ${entry.record.modelId}, served at ` +
      `${entry.record.servedAt} (${when}) by node ${entry.record.node} for agent ${entry.record.agent}`,
  ];
  if (verdict.liveVersionThen !== null) {
    lines.push(
      verdict.liveVersionThen === 0n
        ? "live then: nothing (paused, or no version live)"
        : `live then: version ${verdict.liveVersionThen} (epoch ${verdict.hint})`,
    );
  }
  return lines;
}
