/**
 * Obtaining a batch file by its reference from untrusted sources: whatever a source answers is
 * hashed, and only bytes whose SHA-256 is the reference are returned (and cached). A source that
 * answers other bytes is reported as "altered", with the digest of what it served: evidence that
 * it does not hold the anchored batch.
 */
import { createHash } from "node:crypto";

import { oneLine } from "../ground/cli.js";
import type { ContentStore } from "./content-store.js";
import { type Ref, refHex } from "./ref.js";
import { type BatchSource, DirSource } from "./sources.js";

/** What one source answered. */
export interface SourceAttempt {
  /** The source's label ("cache" for the cache). */
  source: string;
  outcome: "found" | "not-found" | "altered" | "too-large" | "error";
  /** "altered": the sha256 (0x…) of the bytes served; "too-large", "error": the one-line why. */
  detail?: string;
}

/** The result of obtainByRef, with every source's answer in the order asked. */
export type Obtained =
  | { status: "obtained"; bytes: Uint8Array; from: string; attempts: SourceAttempt[] }
  /** Some source answered bytes, but none hashed to the reference. */
  | { status: "altered"; attempts: SourceAttempt[] }
  /** No source gave bytes to check: not found, over the size limit, or failing. */
  | { status: "missing"; attempts: SourceAttempt[] };

/**
 * The bytes of `ref`: from `cache` first (reported as source "cache"), then from each source in
 * order until one answers bytes whose SHA-256 equals `ref`. Bytes that do not match are never
 * returned nor cached; verified bytes from a source are put in the cache.
 * @param options.maxBytes the most bytes read from any one source.
 * @throws CliError if `ref` is malformed, or the cache cannot be written.
 */
export async function obtainByRef(
  ref: Ref,
  sources: BatchSource[],
  options: { cache?: ContentStore; maxBytes: number },
): Promise<Obtained> {
  const wanted = "0x" + refHex(ref);
  const { cache, maxBytes } = options;
  const attempts: SourceAttempt[] = [];
  // The cache read raw, as any folder: a damaged cached file is reported, not silently skipped.
  const cached = cache === undefined ? undefined : new DirSource(cache.root, "cache");
  for (const source of cached === undefined ? sources : [cached, ...sources]) {
    const attempt = await ask(source, wanted, maxBytes);
    attempts.push(attempt.report);
    if (attempt.bytes === undefined) continue;
    if (cache !== undefined && source !== cached) cache.put(attempt.bytes);
    return { status: "obtained", bytes: attempt.bytes, from: source.label, attempts };
  }
  const altered = attempts.some((a) => a.outcome === "altered");
  return { status: altered ? "altered" : "missing", attempts };
}

/** One source's answer, checked: bytes only if they hash to `ref`. */
async function ask(
  source: BatchSource,
  ref: Ref,
  maxBytes: number,
): Promise<{ report: SourceAttempt; bytes?: Uint8Array }> {
  const label = source.label;
  let answer;
  try {
    answer = await source.fetch(ref, maxBytes);
  } catch (e) {
    // A source of someone else's making may throw: still one line, still the next source.
    const message = oneLine(e instanceof Error ? e.message : String(e));
    return { report: { source: label, outcome: "error", detail: message } };
  }
  switch (answer.kind) {
    case "found": {
      if (answer.bytes.length > maxBytes) {
        const detail = `${answer.bytes.length} bytes, over the limit of ${maxBytes}`;
        return { report: { source: label, outcome: "too-large", detail } };
      }
      const had = "0x" + createHash("sha256").update(answer.bytes).digest("hex");
      if (had !== ref) return { report: { source: label, outcome: "altered", detail: had } };
      return { report: { source: label, outcome: "found" }, bytes: answer.bytes };
    }
    case "not-found":
      return { report: { source: label, outcome: "not-found" } };
    case "too-large":
      return { report: { source: label, outcome: "too-large", detail: oneLine(answer.message) } };
    default:
      return { report: { source: label, outcome: "error", detail: oneLine(answer.message) } };
  }
}
