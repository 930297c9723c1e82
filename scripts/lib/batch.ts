/**
 * A batch of inference records: read and validated from JSON Lines, built into a Merkle tree, and
 * written as a directory (what `npm run batch:build` does; the CLI is scripts/batch-build.ts).
 *
 * The directory holds:
 * - batch.json: root, count, modelId, recordFormat, first/last servedAt (min/max), leafEncoding and
 *   the names of the other files;
 * - proofs.jsonl: one line per record in input order, {"index","leaf","record","proof"}, written as
 *   a stream (a dump of 10^6 records as one JSON value would exceed V8's string limit);
 * - tree.json: the StandardMerkleTree dump, only for batches of at most TREE_JSON_MAX_RECORDS.
 *
 * It is written into a temporary directory beside the target and renamed at the end, so a crash
 * never leaves a half-written directory under the target's name.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";

import { CliError, describeFsError, fail, oneLine } from "./cli.js";
import { RecordMerkleTree } from "./merkle.js";
import {
  type InferenceRecord,
  RECORD_ENCODED_BYTES,
  RECORD_JSON_MAX_BYTES,
  RECORD_TYPES,
  RecordError,
  decodeRecord,
  encodeRecordInto,
  leafHashOfEncodedInto,
  parseRecord,
  writeEncodedRecordJson,
} from "./record.js";

/** tree.json is written only up to this many records (~1 KB of JSON per record). */
export const TREE_JSON_MAX_RECORDS = 2 ** 17;

/** A line longer than this is refused (a record is under 1 KB). */
const MAX_LINE_BYTES = 1 << 20;

/** What batch.json holds. */
export interface BatchSummary {
  root: string;
  count: number;
  modelId: string;
  recordFormat: number;
  firstServedAt: number;
  lastServedAt: number;
  leafEncoding: string[];
  files: { proofs: string; tree: string | null };
}

/** The fields of a batch that do not depend on the tree. */
export type BatchMeta = Omit<BatchSummary, "root" | "files">;

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

/** Buffered writes of bytes to a file handle: one write per BUFFER_BYTES. */
class ByteSink {
  static readonly BUFFER_BYTES = 4 << 20;
  readonly buf = Buffer.allocUnsafe(ByteSink.BUFFER_BYTES);
  pos = 0;
  constructor(private readonly fh: FileHandle) {}

  /** Writes what is buffered; the buffer is free again when this resolves. */
  async flush(): Promise<void> {
    let done = 0;
    while (done < this.pos) {
      const { bytesWritten } = await this.fh.write(this.buf, done, this.pos - done);
      done += bytesWritten;
    }
    this.pos = 0;
  }
}

/** Room one proofs.jsonl line may need: framing, leaf, record and a proof of up to 64 nodes. */
const MAX_PROOF_LINE_BYTES = 128 + 66 + RECORD_JSON_MAX_BYTES + 64 * 70;

const ascii = (text: string) => Uint8Array.from(Buffer.from(text, "latin1"));
const LINE_START = ascii('{"index":');
const LEAF_START = ascii(',"leaf":"0x');
const RECORD_START = ascii('","record":');
const PROOF_START = ascii(',"proof":[');
const NODE_START = ascii('"0x');
const NEXT_NODE_START = ascii('","0x');
const LINE_END = ascii('"]}\n');
const LINE_END_NO_PROOF = ascii("]}\n");

/** The hex digits (64 ASCII bytes, no 0x) of every node of `tree`, in node order. */
function nodesHexAscii(tree: RecordMerkleTree): Buffer {
  const nodes = Buffer.from(tree.nodes.buffer, tree.nodes.byteOffset, tree.nodes.length);
  const hex = Buffer.allocUnsafe(2 * nodes.length);
  // Converted natively, in slices: the whole would exceed V8's string limit beyond ~4M records.
  const SLICE = 1 << 24;
  for (let at = 0; at < nodes.length; at += SLICE) {
    const end = Math.min(at + SLICE, nodes.length);
    hex.write(nodes.toString("hex", at, end), 2 * at, "latin1");
  }
  return hex;
}

/**
 * Writes proofs.jsonl: for each record in input order, one line
 * {"index":i,"leaf":"0x…","record":{…},"proof":["0x…",…]}. The lines are assembled as bytes in a
 * 4 MB buffer, from the hex of every node (made once: 64 bytes per node) and each record's JSON
 * written from its encoding: no string per line, and any number of records.
 */
export async function writeProofsJsonl(
  path: string,
  tree: RecordMerkleTree,
  records: EncodedRecords,
): Promise<void> {
  const n = tree.length;
  if (records.count !== n) throw new Error(`batch: ${records.count} records for ${n} leaves`);
  const hex = nodesHexAscii(tree);
  const { treeIndex } = tree;
  const fh = await open(path, "wx");
  try {
    const sink = new ByteSink(fh);
    const out = sink.buf;
    for (let i = 0; i < n; i++) {
      if (sink.pos + MAX_PROOF_LINE_BYTES > out.length) await sink.flush();
      let pos = sink.pos;
      out.set(LINE_START, pos);
      pos += LINE_START.length;
      pos += out.write(String(i), pos, "latin1");
      out.set(LEAF_START, pos);
      pos += LEAF_START.length;
      let t = treeIndex[i];
      pos += hex.copy(out, pos, 64 * t, 64 * t + 64);
      out.set(RECORD_START, pos);
      pos += RECORD_START.length;
      pos = records.writeJson(i, out, pos);
      out.set(PROOF_START, pos);
      pos += PROOF_START.length;
      const end = t > 0 ? LINE_END : LINE_END_NO_PROOF;
      for (let first = true; t > 0; first = false) {
        const start = first ? NODE_START : NEXT_NODE_START;
        out.set(start, pos);
        pos += start.length;
        const s = t & 1 ? t + 1 : t - 1;
        pos += hex.copy(out, pos, 64 * s, 64 * s + 64);
        t = (t - 1) >> 1;
      }
      out.set(end, pos);
      sink.pos = pos + end.length;
    }
    await sink.flush();
  } finally {
    await fh.close();
  }
}

/**
 * Writes proofs.jsonl, tree.json (batches of at most TREE_JSON_MAX_RECORDS) and batch.json into
 * `dir` (an existing, empty directory).
 */
export async function writeBatchFiles(
  dir: string,
  tree: RecordMerkleTree,
  records: EncodedRecords,
  meta: BatchMeta,
): Promise<BatchSummary> {
  const n = tree.length;
  if (meta.count !== n) throw new Error(`batch: ${meta.count} records for ${n} leaves`);
  await writeProofsJsonl(join(dir, "proofs.jsonl"), tree, records);
  let treeFile: string | null = null;
  if (n <= TREE_JSON_MAX_RECORDS) {
    treeFile = "tree.json";
    const values = Array.from({ length: n }, (_, i) => records.get(i));
    await writeNew(join(dir, treeFile), JSON.stringify(tree.dump(values)) + "\n");
  }
  const summary: BatchSummary = {
    root: tree.root,
    ...meta,
    files: { proofs: "proofs.jsonl", tree: treeFile },
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
): Promise<BatchSummary> {
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
    let summary: BatchSummary;
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
 * batch directory `outDir`. Nothing is written unless every line is valid.
 * @param names how the input file and the output directory are named in messages (default: the
 *   paths).
 */
export async function buildBatch(
  inPath: string,
  outDir: string,
  names: { in?: string; out?: string } = {},
): Promise<BatchSummary> {
  const outName = names.out ?? outDir;
  checkOutDir(outDir, outName);
  const { records, meta } = await readRecordsFile(inPath, names.in ?? inPath);
  const tree = RecordMerkleTree.fromLeaves(records.leaves());
  checkOutDir(outDir, outName);
  return writeBatchDir(outDir, tree, records, meta, outName);
}
