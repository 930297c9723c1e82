/**
 * The streamed files of a batch directory, assembled as bytes in a 4 MB buffer (no string per
 * line, any number of records): proofs.jsonl, and the canonical batch file batch.jsonl whose
 * SHA-256 is the batch's fileRef (see src/records/batch-file.ts for its form).
 */
import { type Hash, createHash } from "node:crypto";
import { type FileHandle, open } from "node:fs/promises";

import type { EncodedRecords } from "./batch.js";
import type { RecordMerkleTree } from "./merkle.js";
import { RECORD_JSON_MAX_BYTES } from "./record.js";
import type { Ref } from "../store/ref.js";

/** Buffered writes of bytes to a file handle: one write per BUFFER_BYTES; hashed if asked. */
class ByteSink {
  static readonly BUFFER_BYTES = 4 << 20;
  readonly buf = Buffer.allocUnsafe(ByteSink.BUFFER_BYTES);
  pos = 0;
  constructor(
    private readonly fh: FileHandle,
    private readonly hash?: Hash,
  ) {}

  /** Writes what is buffered; the buffer is free again when this resolves. */
  async flush(): Promise<void> {
    this.hash?.update(this.buf.subarray(0, this.pos));
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
 * Writes the canonical batch file at `path` (which must not exist): each record's JSON in input
 * (leaf) order, one per line, each line ending in "\n". Returns its SHA-256, computed as it is
 * written.
 */
export async function writeBatchJsonl(path: string, records: EncodedRecords): Promise<Ref> {
  const hash = createHash("sha256");
  const fh = await open(path, "wx");
  try {
    const sink = new ByteSink(fh, hash);
    const out = sink.buf;
    for (let i = 0; i < records.count; i++) {
      if (sink.pos + RECORD_JSON_MAX_BYTES + 1 > out.length) await sink.flush();
      const end = records.writeJson(i, out, sink.pos);
      out[end] = 10; // \n
      sink.pos = end + 1;
    }
    await sink.flush();
  } finally {
    await fh.close();
  }
  return "0x" + hash.digest("hex");
}
