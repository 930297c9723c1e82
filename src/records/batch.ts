/**
 * A batch of inference records: read and validated from JSON Lines, built into a Merkle tree, and
 * written as a directory (what `npm run batch:build` does; the CLI is scripts/batch-build.ts).
 *
 * The directory holds:
 * - batch.json: root, fileRef, count, modelId, recordFormat, first/last servedAt (min/max),
 *   leafEncoding and the names of the other files;
 * - batch.jsonl: the canonical batch file, the records alone in leaf order; its SHA-256 is the
 *   batch's fileRef, the reference anchored on-chain, by which the file can be fetched from any
 *   store (src/store/);
 * - proofs.jsonl: one line per record in input order, {"index","leaf","record","proof"}, written as
 *   a stream (a dump of 10^6 records as one JSON value would exceed V8's string limit);
 * - tree.json: the StandardMerkleTree dump, only for batches of at most TREE_JSON_MAX_RECORDS.
 *
 * It is written into a temporary directory beside the target and renamed at the end, so a crash
 * never leaves a half-written directory under the target's name. buildBatch can then publish
 * batch.jsonl into a content-addressed store.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";

import { writeBatchJsonl, writeProofsJsonl } from "./batch-write.js";
import { CliError, describeFsError, fail, oneLine } from "../ground/cli.js";
import { RecordMerkleTree } from "./merkle.js";
import {
  type InferenceRecord,
  RECORD_ENCODED_BYTES,
  RECORD_TYPES,
  RecordError,
  decodeRecord,
  encodeRecordInto,
  leafHashOfEncodedInto,
  parseRecord,
  writeEncodedRecordJson,
} from "./record.js";
import type { ContentStore } from "../store/content-store.js";

export { writeBatchJsonl, writeProofsJsonl } from "./batch-write.js";

/** tree.json is written only up to this many records (~1 KB of JSON per record). */
export const TREE_JSON_MAX_RECORDS = 2 ** 17;

/** A line longer than this is refused (a record is under 1 KB). */
const MAX_LINE_BYTES = 1 << 20;

/**
 * What batch.json holds. `fileRef` and `files.batch` are absent from the batch.json of batches
 * built before content addressing (legacy: readBatchSummary still accepts them).
 */
export interface BatchSummary {
  root: string;
  /** The SHA-256 of batch.jsonl (0x + 64 hex digits): the reference anchored on-chain. */
  fileRef?: string;
  count: number;
  modelId: string;
  recordFormat: number;
  firstServedAt: number;
  lastServedAt: number;
  leafEncoding: string[];
  files: { proofs: string; tree: string | null; batch?: string };
}

/** A summary as batch:build writes it now: with the canonical batch file and its reference. */
export type WrittenBatchSummary = BatchSummary & {
  fileRef: string;
  files: { proofs: string; tree: string | null; batch: string };
};

/** The fields of a batch that do not depend on the tree. */
export type BatchMeta = Omit<BatchSummary, "root" | "files" | "fileRef">;

const CHUNK_RECORDS = 8192;

/**
 * Records stored compactly: abi-encoded (384 bytes each) in chunks, with their leaf hashes. A
 * million records take ~400 MB here instead of ~1 GB as JavaScript objects; `get` decodes one back.
 */
export class EncodedRecords {
  private readonly chunks: Uint8Array[] = [];
  private leafBytes = new Uint8Array(32 * 1024);
  private n = 0;

  get count(): number {
    return this.n;
  }

  /** Appends a record (encoding it and hashing its leaf). */
  push(r: InferenceRecord): void {
    const c = this.n % CHUNK_RECORDS;
    if (c === 0) this.chunks.push(new Uint8Array(CHUNK_RECORDS * RECORD_ENCODED_BYTES));
    const chunk = this.chunks[this.chunks.length - 1];
    encodeRecordInto(chunk, r, c * RECORD_ENCODED_BYTES);
    if (32 * (this.n + 1) > this.leafBytes.length) {
      const grown = new Uint8Array(2 * this.leafBytes.length);
      grown.set(this.leafBytes);
      this.leafBytes = grown;
    }
    leafHashOfEncodedInto(chunk, c * RECORD_ENCODED_BYTES, this.leafBytes, 32 * this.n);
    this.n++;
  }

  /** Record i, decoded (normalized as parseRecord returns it). */
  get(i: number): InferenceRecord {
    const chunk = this.chunks[Math.floor(i / CHUNK_RECORDS)];
    return decodeRecord(chunk, (i % CHUNK_RECORDS) * RECORD_ENCODED_BYTES);
  }

  /** Writes the JSON of record i into out at pos (RECORD_JSON_MAX_BYTES of room); returns the end. */
  writeJson(i: number, out: Buffer, pos: number): number {
    const chunk = this.chunks[Math.floor(i / CHUNK_RECORDS)];
    return writeEncodedRecordJson(chunk, (i % CHUNK_RECORDS) * RECORD_ENCODED_BYTES, out, pos);
  }

  /** The leaf hashes, 32 bytes each, in order (a view). */
  leaves(): Uint8Array {
    return this.leafBytes.subarray(0, 32 * this.n);
  }
}

/** Lines of a file as [lineNumber, text], streamed; a trailing \r is dropped, a BOM ignored. */
async function* readLines(path: string): AsyncGenerator<[number, string]> {
  let carry: Buffer | undefined;
  let lineNo = 0;
  for await (const data of createReadStream(path, { highWaterMark: 1 << 20 })) {
    let buf = data as Buffer;
    if (carry !== undefined) {
      buf = Buffer.concat([carry, buf]);
      carry = undefined;
    }
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
      const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
      yield [++lineNo, buf.toString("utf8", start, end)];
      start = nl + 1;
    }
    if (start < buf.length) {
      if (buf.length - start > MAX_LINE_BYTES) {
        fail(`line ${lineNo + 1} is longer than ${MAX_LINE_BYTES} bytes`);
      }
      carry = buf.subarray(start);
    }
  }
  if (carry !== undefined) {
    const end = carry[carry.length - 1] === 13 ? carry.length - 1 : carry.length;
    yield [++lineNo, carry.toString("utf8", 0, end)];
  }
}

/**
 * Reads and validates a JSON Lines file of records (blank lines ignored). Every record must pass
 * parseRecord, and all must share one modelId and one format.
 * @param name how the file is named in messages (e.g. the path as the user typed it).
 * @throws CliError `NAME line N: why` for the first bad line, or if the file cannot be read.
 */
export async function readRecordsFile(
  path: string,
  name = path,
): Promise<{ records: EncodedRecords; meta: BatchMeta }> {
  const records = new EncodedRecords();
  let modelId = "";
  let modelIdLine = 0;
  let recordFormat = 0;
  let firstServedAt = Number.POSITIVE_INFINITY;
  let lastServedAt = Number.NEGATIVE_INFINITY;
  try {
    for await (const [lineNo, raw] of readLines(path)) {
      const text = lineNo === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      if (text.trim() === "") continue;
      const at = `${name} line ${lineNo}`;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        // Newer V8 appends "(line 1 column N)": of the line alone, so confusing here.
        const why = oneLine((e as Error).message).replace(/ \(line \d+ column \d+\)$/, "");
        fail(`${at}: not valid JSON (${why})`);
      }
      let r: InferenceRecord;
      try {
        r = parseRecord(value);
      } catch (e) {
        if (e instanceof RecordError) fail(`${at}: ${e.message}`);
        throw e;
      }
      if (records.count === 0) {
        modelId = r.modelId;
        modelIdLine = lineNo;
        recordFormat = r.format;
      } else if (r.modelId !== modelId) {
        fail(
          `${at}: modelId ${r.modelId} differs from the batch's modelId ${modelId} (line ` +
            `${modelIdLine}); a batch holds the records of one model`,
        );
      } else if (r.format !== recordFormat) {
        fail(`${at}: format ${r.format} differs from the batch's format ${recordFormat}`);
      }
      if (r.servedAt < firstServedAt) firstServedAt = r.servedAt;
      if (r.servedAt > lastServedAt) lastServedAt = r.servedAt;
      records.push(r);
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    if ((e as NodeJS.ErrnoException).code !== undefined) {
      fail(`cannot read ${name}: ${describeFsError(e)}`);
    }
    throw e;
  }
  if (records.count === 0) fail(`${name} has no records`);
  const meta: BatchMeta = {
    count: records.count,
    modelId,
    recordFormat,
    firstServedAt,
    lastServedAt,
    leafEncoding: [...RECORD_TYPES],
  };
  return { records, meta };
}

/** Refuses an output path that exists and is not an empty directory (`name`: for messages). */
export function checkOutDir(outDir: string, name = outDir): void {
  let entries: string[];
  try {
    if (!statSync(outDir).isDirectory()) fail(`${name} exists and is not a directory`);
    entries = readdirSync(outDir);
  } catch (e) {
    if (e instanceof CliError) throw e;
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    fail(`cannot use ${name}: ${describeFsError(e)}`);
  }
  if (entries.length > 0) fail(`${name} exists and is not empty: choose a new directory`);
}

/**
 * Writes batch.jsonl, proofs.jsonl, tree.json (batches of at most TREE_JSON_MAX_RECORDS) and
 * batch.json into `dir` (an existing, empty directory).
 */
export async function writeBatchFiles(
  dir: string,
  tree: RecordMerkleTree,
  records: EncodedRecords,
  meta: BatchMeta,
): Promise<WrittenBatchSummary> {
  const n = tree.length;
  if (meta.count !== n) throw new Error(`batch: ${meta.count} records for ${n} leaves`);
  const fileRef = await writeBatchJsonl(join(dir, "batch.jsonl"), records);
  await writeProofsJsonl(join(dir, "proofs.jsonl"), tree, records);
  let treeFile: string | null = null;
  if (n <= TREE_JSON_MAX_RECORDS) {
    treeFile = "tree.json";
    const values = Array.from({ length: n }, (_, i) => records.get(i));
    await writeNew(join(dir, treeFile), JSON.stringify(tree.dump(values)) + "\n");
  }
  const summary: WrittenBatchSummary = {
    root: tree.root,
    fileRef,
    ...meta,
    files: { batch: "batch.jsonl", proofs: "proofs.jsonl", tree: treeFile },
  };
  await writeNew(join(dir, "batch.json"), JSON.stringify(summary, null, 2) + "\n");
  return summary;
}

async function writeNew(path: string, text: string): Promise<void> {
  const fh = await open(path, "wx");
  try {
    await fh.write(text);
  } finally {
    await fh.close();
  }
}

/**
 * Writes the batch directory `outDir` atomically: into a temporary directory beside it, renamed to
 * `outDir` at the end (outDir must not exist, or be an empty directory). On failure or on
 * SIGINT/SIGTERM the temporary directory is removed; nothing is left under `outDir`.
 */
export async function writeBatchDir(
  outDir: string,
  tree: RecordMerkleTree,
  records: EncodedRecords,
  meta: BatchMeta,
  name = outDir,
): Promise<WrittenBatchSummary> {
  const target = resolve(outDir);
  const parent = dirname(target);
  let tmp: string | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
    process.stderr.write(`batch: interrupted by ${signal}; ${name} was not written\n`);
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    try {
      mkdirSync(parent, { recursive: true });
      // Not mkdtemp: its 0700 mode would stay on the renamed directory.
      const suffix = `${process.pid}-${randomBytes(4).toString("hex")}`;
      tmp = join(parent, `.${basename(target)}.tmp-${suffix}`);
      mkdirSync(tmp);
    } catch (e) {
      fail(`cannot create ${name}: ${describeFsError(e)}`);
    }
    let summary: WrittenBatchSummary;
    try {
      summary = await writeBatchFiles(tmp, tree, records, meta);
    } catch (e) {
      if (e instanceof CliError) throw e;
      if ((e as NodeJS.ErrnoException).code !== undefined) {
        fail(`cannot write ${name}: ${describeFsError(e)}`);
      }
      throw e;
    }
    try {
      renameSync(tmp, target);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOTEMPTY" || code === "EEXIST" || code === "ENOTDIR") {
        fail(`${name} appeared while the batch was written, and is not empty`);
      }
      fail(`cannot create ${name}: ${describeFsError(e)}`);
    }
    tmp = undefined;
    return summary;
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * `npm run batch:build`: reads `inPath`, validates every record, builds the tree and writes the
 * batch directory `outDir`. Nothing is written unless every line is valid. With `publish.store`,
 * batch.jsonl is then published there (by library callers only when asked: tests and the demo
 * keep no store); a failure to publish is a CliError saying that the directory was written.
 * @param names how the input file, the output directory and the store are named in messages
 *   (default: the paths).
 */
export async function buildBatch(
  inPath: string,
  outDir: string,
  names: { in?: string; out?: string; store?: string } = {},
  publish: { store?: ContentStore } = {},
): Promise<WrittenBatchSummary> {
  const outName = names.out ?? outDir;
  checkOutDir(outDir, outName);
  const { records, meta } = await readRecordsFile(inPath, names.in ?? inPath);
  const tree = RecordMerkleTree.fromLeaves(records.leaves());
  checkOutDir(outDir, outName);
  const summary = await writeBatchDir(outDir, tree, records, meta, outName);
  if (publish.store !== undefined) {
    const storeName = names.store ?? publish.store.root;
    const file = join(outDir, summary.files.batch);
    const unpublished = (why: string): never =>
      fail(
        `${outName} was written, but its batch.jsonl was not published: ${why} (publish it ` +
          `later: npm run store:put -- --file ${join(outName, "batch.jsonl")} --store ${storeName})`,
      );
    let ref: string;
    try {
      ref = await publish.store.putFile(file);
    } catch (e) {
      if (e instanceof CliError) unpublished(e.message);
      throw e;
    }
    if (ref !== summary.fileRef) unpublished(`it changed after it was written (sha256 ${ref})`);
  }
  return summary;
}
