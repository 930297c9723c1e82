/**
 * Checking a dossier (`npm run incident -- check DIR --network NAME`): every claim of DIR is
 * derived again from the chain (at the dossier's block, over the same scan) and the records'
 * storage, and compared with the files; each difference is named. A third party can so verify a
 * published report without trusting whoever wrote it.
 *
 * What depends on the checker's own environment is left out of the comparison: where a batch's
 * file was found (evidence `from` and `attempts`, a record's `source`), the directories given,
 * the labels (and the summary's words, which use them), and how many log requests the scan took.
 * Problems are compared by kind, node and root (their words name the sources asked).
 */
import { createHash } from "node:crypto";
import { createReadStream, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

import { describeFsError, fail } from "../ground/cli.js";
import { actionLines, dossierReport, paymentLines } from "./dossier.js";
import type { IncidentReport, ReportRecord } from "./types.js";

/** What the checker needs to know of a dossier to derive it again. */
export interface DossierHead {
  modelId: string;
  modelName: string | null;
  version: number;
  chainId: number;
  readBlock: number;
  fromBlock: number;
  blockRange: number;
}

/** Reads report.json's head; a one-line CliError if DIR is not a dossier. */
export function readDossierHead(dir: string): DossierHead {
  const path = join(dir, "report.json");
  let j: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    j = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    fail(
      `cannot read ${path}: ${e instanceof SyntaxError ? "not valid JSON" : describeFsError(e)}`,
    );
  }
  if (j?.format !== "rollback-trail/incident-dossier/v1") {
    fail(`${path} is not an incident dossier (format rollback-trail/incident-dossier/v1)`);
  }
  return {
    modelId: j.model.id,
    modelName: j.model.name,
    version: j.version,
    chainId: j.chainId,
    readBlock: j.readAt.block,
    fromBlock: j.scan.fromBlock,
    blockRange: j.scan.blockRange,
  };
}

const IGNORED = [
  /^summary$/,
  /^labels/,
  /^scan\.requests$/,
  /^records\.dirs/,
  /^batches\[\d+\]\.evidence\.(from|attempts)/,
  /^problems/,
];

/** report.json as compared: the environment's parts out, problems by kind, node and root. */
function comparable(j: Record<string, unknown>): Record<string, unknown> {
  const problems = (j.problems as Array<{ kind: string; node?: string; root?: string }>).map(
    (p) => `${p.kind}:${p.node ?? ""}:${p.root ?? ""}`,
  );
  return { ...j, problemKeys: problems.sort() };
}

/** The differences between two JSON values, as `path: dossier X, chain Y` lines. */
export function jsonDiff(a: unknown, b: unknown, path = "", out: string[] = []): string[] {
  if (IGNORED.some((re) => re.test(path))) return out;
  if (
    typeof a !== typeof b ||
    Array.isArray(a) !== Array.isArray(b) ||
    (a === null) !== (b === null)
  ) {
    out.push(`${path || "(root)"}: the dossier has ${show(a)}, the chain gives ${show(b)}`);
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) {
      out.push(`${path}: the dossier lists ${a.length}, the chain gives ${b.length}`);
    }
    for (let i = 0; i < Math.min(a.length, b.length); i++)
      jsonDiff(a[i], b[i], `${path}[${i}]`, out);
    return out;
  }
  if (typeof a === "object" && a !== null) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) {
      jsonDiff(ao[k], bo[k], path === "" ? k : `${path}.${k}`, out);
    }
    return out;
  }
  if (a !== b) out.push(`${path}: the dossier has ${show(a)}, the chain gives ${show(b)}`);
  return out;
}

function show(v: unknown): string {
  const text = JSON.stringify(v);
  return text === undefined ? "nothing" : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A record line without where the checker found its batch. */
function recordKey(r: ReportRecord): string {
  return `${r.root}#${r.index}`;
}

function recordHash(r: ReportRecord): string {
  const { source: _source, ...rest } = r;
  void _source;
  return createHash("sha256").update(JSON.stringify(rest)).digest("hex");
}

/** Collects the re-derived records' keys and hashes (bounded: 2 short strings a record). */
export class RecordDigest {
  readonly byKey = new Map<string, string>();
  add(r: ReportRecord): void {
    this.byKey.set(recordKey(r), recordHash(r));
  }
}

/**
 * The differences between the dossier in `dir` and the report derived again (`rebuilt`, whose
 * records went into `digest`).
 */
export async function dossierDifferences(
  dir: string,
  rebuilt: IncidentReport,
  digest: RecordDigest,
): Promise<string[]> {
  const out: string[] = [];
  const file = JSON.parse(readFileSync(join(dir, "report.json"), "utf8"));
  for (const d of jsonDiff(comparable(file), comparable(dossierReport(rebuilt)))) {
    out.push(`report.json ${d}`);
  }
  const seen = new Set<string>();
  let lineNo = 0;
  for await (const line of lines(join(dir, "records.jsonl"))) {
    lineNo++;
    let r: ReportRecord;
    try {
      r = JSON.parse(line);
    } catch {
      out.push(`records.jsonl line ${lineNo}: not valid JSON`);
      continue;
    }
    const key = recordKey(r);
    const want = digest.byKey.get(key);
    if (want === undefined) {
      out.push(
        `records.jsonl line ${lineNo}: record ${r.index} of batch ${r.root} (request ${r.requestId}) is not a record the chain and storage give`,
      );
    } else if (want !== recordHash(r)) {
      out.push(
        `records.jsonl line ${lineNo}: record ${r.index} of batch ${r.root} (request ${r.requestId}) differs from the chain's`,
      );
    }
    seen.add(key);
  }
  for (const key of digest.byKey.keys()) {
    if (!seen.has(key)) out.push(`records.jsonl: record ${key.replace("#", " #")} is missing`);
  }
  await compareLines(dir, "payments.jsonl", paymentLines(rebuilt), out);
  await compareLines(dir, "actions.jsonl", actionLines(rebuilt), out);
  return out;
}

/** Payments and actions, line by line (their service records without `source`). */
async function compareLines(
  dir: string,
  name: string,
  want: unknown[],
  out: string[],
): Promise<void> {
  const strip = (v: unknown) =>
    JSON.parse(JSON.stringify(v), (k, x) => (k === "source" ? undefined : x)) as unknown;
  let i = 0;
  for await (const line of lines(join(dir, name))) {
    let got: unknown;
    try {
      got = JSON.parse(line);
    } catch {
      out.push(`${name} line ${i + 1}: not valid JSON`);
      i++;
      continue;
    }
    for (const d of jsonDiff(strip(got), strip(want[i]), `line ${i + 1}`)) out.push(`${name} ${d}`);
    i++;
  }
  if (i < want.length)
    out.push(`${name}: the dossier has ${i} lines, the chain gives ${want.length}`);
}

async function* lines(path: string): AsyncGenerator<string> {
  let input;
  try {
    input = createReadStream(path);
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      if (line.trim() !== "") yield line;
    }
  } catch (e) {
    fail(`cannot read ${path}: ${describeFsError(e)}`);
  }
}
