/**
 * Merkle trees of inference records, identical to @openzeppelin/merkle-tree's StandardMerkleTree
 * over RECORD_TYPES (same root, same proofs and multiproofs, same dump: `StandardMerkleTree.load`
 * accepts ours), but built in typed arrays: ~100x faster and a fraction of the memory.
 *
 * The layout is StandardMerkleTree's (core.js makeMerkleTree):
 * - leaves (see record.ts) are sorted by hash as unsigned 256-bit numbers, ties keeping input order;
 * - the tree is a complete binary tree in an array of 2n-1 nodes: node i has children 2i+1 and
 *   2i+2, the root is node 0, and the leaf that sorts k-th is node 2n-2-k (the leaves fill the end
 *   of the array in reverse order);
 * - an internal node is keccak256 of its two children concatenated smaller first (commutative
 *   hashing, as OpenZeppelin's MerkleProof.sol verifies).
 *
 * Here the 2n-1 nodes are one Uint8Array of 32 * (2n-1) bytes; hex strings are made only on request.
 */
import type { StandardMerkleTree } from "@openzeppelin/merkle-tree";

import { TrailError } from "../ground/errors.js";

import {
  type InferenceRecord,
  RECORD_ENCODED_BYTES,
  KECCAK,
  RECORD_TYPES,
  leafHashInto,
  leafHashOfEncodedInto,
  recordValues,
  writeHexAscii,
} from "./record.js";

/** V8's longest string on 64-bit platforms (2^29 - 24 characters). */
const MAX_STRING_LENGTH = 2 ** 29 - 24;

/** A 32-byte node: 0x-prefixed hex or bytes. */
export type HashLike = string | Uint8Array;

/** Every proof of a tree in two typed arrays: proof i is nodes [offsets[i], offsets[i+1]). */
export interface PackedProofs {
  /** n + 1 offsets, counted in 32-byte nodes, indexed by original (input) index. */
  offsets: Uint32Array;
  /** The sibling nodes of every proof, leaf to root, 32 bytes each. */
  bytes: Uint8Array;
}

/** A multiproof of leaf hashes: what StandardMerkleTree's core getMultiProof returns. */
export interface LeafMultiProof {
  /** Original indices of the proven records, in the order of `leaves`. */
  indices: number[];
  /** Leaf hashes of the proven records, in the order the proof consumes them. */
  leaves: string[];
  proof: string[];
  proofFlags: boolean[];
}

/** The values of a StandardMerkleTree over RECORD_TYPES: one list per record. */
export type RecordValues = ReturnType<typeof recordValues>;

/** A StandardMerkleTree dump (`format: "standard-v1"`) of records. */
export type RecordTreeDump = ReturnType<StandardMerkleTree<RecordValues>["dump"]>;

/** Thrown for misuse (bad index, empty tree, wrong sizes). */
export class MerkleError extends TrailError {
  constructor(message: string) {
    super(message);
    this.name = "MerkleError";
  }
}

// ------------------------------------------------------------------------------------------------
// Bytes helpers

function hexOf(bytes: Uint8Array, at = 0, len = bytes.length - at): string {
  return "0x" + Buffer.from(bytes.buffer, bytes.byteOffset + at, len).toString("hex");
}

function nodeBytes(node: HashLike): Uint8Array {
  if (typeof node === "string") {
    if (!/^0x[0-9a-fA-F]{64}$/.test(node)) throw new MerkleError(`not a 32-byte hex node: ${node}`);
    return Uint8Array.from(Buffer.from(node.slice(2), "hex"));
  }
  if (node.length !== 32) throw new MerkleError(`a node must be 32 bytes, not ${node.length}`);
  return node;
}

/** -1, 0 or 1 as a[ai..ai+32) is below, equal to or above b[bi..bi+32) (unsigned, big-endian). */
function compare32(a: Uint8Array, ai: number, b: Uint8Array, bi: number): number {
  for (let j = 0; j < 32; j++) {
    const d = a[ai + j] - b[bi + j];
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

const kbuf = KECCAK.buffer;
const digest = kbuf.subarray(0, 32);

/**
 * keccak256 of the nodes a[ai..ai+32) and b[bi..bi+32), smaller first (OpenZeppelin's commutative
 * hash), written at out[oi..oi+32). The pair is copied straight into the hasher's memory.
 */
function hashPairInto(
  a: Uint8Array,
  ai: number,
  b: Uint8Array,
  bi: number,
  out: Uint8Array,
  oi: number,
): void {
  if (compare32(a, ai, b, bi) <= 0) {
    for (let j = 0; j < 32; j++) {
      kbuf[j] = a[ai + j];
      kbuf[32 + j] = b[bi + j];
    }
  } else {
    for (let j = 0; j < 32; j++) {
      kbuf[j] = b[bi + j];
      kbuf[32 + j] = a[ai + j];
    }
  }
  KECCAK.hashBuffer(64);
  out.set(digest, oi);
}

/** keccak256 of two nodes, smaller first: StandardMerkleTree's node hash. */
export function hashPair(a: HashLike, b: HashLike): Uint8Array {
  const out = new Uint8Array(32);
  hashPairInto(nodeBytes(a), 0, nodeBytes(b), 0, out, 0);
  return out;
}

// ------------------------------------------------------------------------------------------------
// Sorting leaves

/**
 * The order of the n leaves of `leaves` (32 bytes each) by value, ties by index: sorted position →
 * original index. An LSD radix sort on the first 4 bytes (two 16-bit passes, stable), then the rare
 * runs that share those 4 bytes are sorted on the full 32 bytes.
 */
function sortLeaves(leaves: Uint8Array, n: number): Uint32Array {
  const key = new Uint32Array(n);
  for (let i = 0, o = 0; i < n; i++, o += 32) {
    key[i] =
      ((leaves[o] << 24) | (leaves[o + 1] << 16) | (leaves[o + 2] << 8) | leaves[o + 3]) >>> 0;
  }
  let src = new Uint32Array(n);
  for (let i = 0; i < n; i++) src[i] = i;
  let dst = new Uint32Array(n);
  const count = new Uint32Array(65536);
  for (const shift of [0, 16]) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(key[i] >>> shift) & 0xffff]++;
    for (let d = 0, sum = 0; d < 65536; d++) {
      const c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const idx = src[i];
      dst[count[(key[idx] >>> shift) & 0xffff]++] = idx;
    }
    [src, dst] = [dst, src];
  }
  const order = src;
  for (let start = 0; start < n;) {
    let end = start + 1;
    while (end < n && key[order[end]] === key[order[start]]) end++;
    if (end - start > 1) {
      const run = Array.from(order.subarray(start, end));
      run.sort((x, y) => compare32(leaves, x * 32, leaves, y * 32) || x - y);
      order.set(run, start);
    }
    start = end;
  }
  return order;
}

// ------------------------------------------------------------------------------------------------
// The tree

/** A StandardMerkleTree-identical tree of records, in typed arrays. Build with `fromRecords`. */
export class RecordMerkleTree {
  /** Number of leaves (records). */
  readonly length: number;
  /** The 2n-1 nodes, 32 bytes each, in StandardMerkleTree's order (node 0 is the root). */
  readonly nodes: Uint8Array;
  /** Tree index (node number) of the leaf of each record, by original index. */
  readonly treeIndex: Uint32Array;
  /** The records, when built from them (needed by `dump` and `values`). */
  readonly records: readonly InferenceRecord[] | undefined;

  private constructor(
    nodes: Uint8Array,
    treeIndex: Uint32Array,
    records: readonly InferenceRecord[] | undefined,
  ) {
    this.length = treeIndex.length;
    this.nodes = nodes;
    this.treeIndex = treeIndex;
    this.records = records;
  }

  /** The tree of `records`, in their order (the original indices). */
  static fromRecords(records: readonly InferenceRecord[]): RecordMerkleTree {
    const n = records.length;
    const leaves = new Uint8Array(32 * n);
    for (let i = 0; i < n; i++) leafHashInto(records[i], leaves, 32 * i);
    return RecordMerkleTree.fromLeaves(leaves, records);
  }

  /**
   * The tree of records already encoded (abi.encode, RECORD_ENCODED_BYTES each) back to back in
   * `encoded`: the leaf hashes are computed from the bytes.
   */
  static fromEncoded(
    encoded: Uint8Array,
    count = encoded.length / RECORD_ENCODED_BYTES,
  ): RecordMerkleTree {
    if (!Number.isInteger(count) || count * RECORD_ENCODED_BYTES > encoded.length) {
      throw new MerkleError(
        `encoded records: ${encoded.length} bytes do not hold ${count} records`,
      );
    }
    const leaves = new Uint8Array(32 * count);
    for (let i = 0; i < count; i++) {
      leafHashOfEncodedInto(encoded, i * RECORD_ENCODED_BYTES, leaves, 32 * i);
    }
    return RecordMerkleTree.fromLeaves(leaves);
  }

  /**
   * The tree of n leaf hashes given back to back (32 * n bytes, original order). `leaves` is not
   * kept. `records`, if given, must be the records of these leaves (not checked here).
   */
  static fromLeaves(leaves: Uint8Array, records?: readonly InferenceRecord[]): RecordMerkleTree {
    if (leaves.length % 32 !== 0) throw new MerkleError("leaves must be 32 bytes each");
    const n = leaves.length / 32;
    if (n === 0) throw new MerkleError("a Merkle tree needs at least one leaf");
    if (records !== undefined && records.length !== n) {
      throw new MerkleError(`${records.length} records for ${n} leaves`);
    }
    const size = 2 * n - 1;
    if (size * 32 > 2 ** 53 || n > 2 ** 31) throw new MerkleError(`too many leaves: ${n}`);
    const order = sortLeaves(leaves, n);
    const nodes = new Uint8Array(32 * size);
    const treeIndex = new Uint32Array(n);
    for (let k = 0; k < n; k++) {
      const i = order[k];
      const t = size - 1 - k;
      nodes.set(leaves.subarray(32 * i, 32 * i + 32), 32 * t);
      treeIndex[i] = t;
    }
    for (let t = n - 2; t >= 0; t--) {
      hashPairInto(nodes, 32 * (2 * t + 1), nodes, 32 * (2 * t + 2), nodes, 32 * t);
    }
    return new RecordMerkleTree(nodes, treeIndex, records);
  }

  /** The root as 0x-prefixed hex. */
  get root(): string {
    return hexOf(this.nodes, 0, 32);
  }

  /** The root as 32 bytes (a view into `nodes`). */
  get rootBytes(): Uint8Array {
    return this.nodes.subarray(0, 32);
  }

  /** Node `t` (a tree index) as hex. */
  node(t: number): string {
    return hexOf(this.nodes, 32 * t, 32);
  }

  private checkIndex(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new MerkleError(`index ${i} out of bounds (the tree has ${this.length} leaves)`);
    }
    return this.treeIndex[i];
  }

  /** The leaf hash of record `i` (original index) as hex. */
  leaf(i: number): string {
    return this.node(this.checkIndex(i));
  }

  /** The leaf hash of record `i` as 32 bytes (a view into `nodes`). */
  leafBytes(i: number): Uint8Array {
    const t = this.checkIndex(i);
    return this.nodes.subarray(32 * t, 32 * t + 32);
  }

  /** Number of nodes in the proof of record `i`. */
  proofLength(i: number): number {
    return 31 - Math.clz32(this.checkIndex(i) + 1);
  }

  /** Writes the proof of record `i` (siblings, leaf to root) at out[at..]; returns the node count. */
  proofInto(i: number, out: Uint8Array, at = 0): number {
    let t = this.checkIndex(i);
    let k = 0;
    const nodes = this.nodes;
    while (t > 0) {
      const s = 32 * (t & 1 ? t + 1 : t - 1);
      const o = at + 32 * k++;
      for (let j = 0; j < 32; j++) out[o + j] = nodes[s + j];
      t = (t - 1) >> 1;
    }
    return k;
  }

  /** The proof of record `i` as packed bytes (32 per node, leaf to root). */
  proofBytes(i: number): Uint8Array {
    const out = new Uint8Array(32 * this.proofLength(i));
    this.proofInto(i, out);
    return out;
  }

  /** The proof of record `i` (original index) as hex: equal to StandardMerkleTree's getProof(i). */
  proof(i: number): string[] {
    let t = this.checkIndex(i);
    const proof: string[] = [];
    while (t > 0) {
      proof.push(this.node(t & 1 ? t + 1 : t - 1));
      t = (t - 1) >> 1;
    }
    return proof;
  }

  /**
   * Every proof as hex, by original index: the same as StandardMerkleTree's getProof(i) for every
   * i, made ~10x faster than calling `proof` n times (the hex of all nodes is made once, and each
   * proof node is a slice of it). Memory: ~100 bytes per proof node (10^6 records: ~2 GB).
   */
  allProofsHex(): string[][] {
    const hex = this.prefixedHexOfNodes();
    const proofs: string[][] = new Array(this.length);
    for (let i = 0; i < this.length; i++) {
      let t = this.treeIndex[i];
      const proof: string[] = [];
      while (t > 0) {
        const s = 66 * (t & 1 ? t + 1 : t - 1);
        proof.push(hex.slice(s, s + 66));
        t = (t - 1) >> 1;
      }
      proofs[i] = proof;
    }
    return proofs;
  }

  /** "0x" and the 64 hex digits of every node, back to back, as one string (66 chars per node). */
  private prefixedHexOfNodes(): string {
    const size = 2 * this.length - 1;
    if (66 * size > MAX_STRING_LENGTH) {
      throw new MerkleError(`${this.length} leaves: too many for their hex in one string`);
    }
    const out = Buffer.allocUnsafe(66 * size);
    for (let t = 0, pos = 0; t < size; t++) {
      out[pos] = 48; // 0
      out[pos + 1] = 120; // x
      pos = writeHexAscii(this.nodes, 32 * t, 32, out, pos + 2);
    }
    return out.toString("latin1");
  }

  /** Every proof, packed in two typed arrays (about 32 * n * log2(n) bytes). */
  allProofs(): PackedProofs {
    const n = this.length;
    const offsets = new Uint32Array(n + 1);
    for (let i = 0; i < n; i++) {
      offsets[i + 1] = offsets[i] + (31 - Math.clz32(this.treeIndex[i] + 1));
    }
    const bytes = new Uint8Array(32 * offsets[n]);
    // Copied as 32-bit words (both arrays start at offset 0 of their own buffers: aligned).
    const from = new Uint32Array(this.nodes.buffer, this.nodes.byteOffset, this.nodes.length / 4);
    const to = new Uint32Array(bytes.buffer);
    for (let i = 0; i < n; i++) {
      let t = this.treeIndex[i];
      let w = 8 * offsets[i];
      while (t > 0) {
        const s = 8 * (t & 1 ? t + 1 : t - 1);
        for (let j = 0; j < 8; j++) to[w++] = from[s + j];
        t = (t - 1) >> 1;
      }
    }
    return { offsets, bytes };
  }

  /**
   * A multiproof of the records at `indices` (original indices): the same proof and proofFlags as
   * StandardMerkleTree's getMultiProof(indices), with leaf hashes (and their original indices)
   * where StandardMerkleTree returns values. Verify with `verifyMultiProof`, or on chain with
   * MerkleProof.multiProofVerify(proof, proofFlags, root, leaves).
   */
  multiProof(indices: readonly number[]): LeafMultiProof {
    const tis = indices.map((i) => this.checkIndex(i)).sort((a, b) => b - a);
    for (let k = 1; k < tis.length; k++) {
      if (tis[k] === tis[k - 1]) throw new MerkleError("cannot prove a duplicated index");
    }
    const proof: string[] = [];
    const proofFlags: boolean[] = [];
    // A queue in an array: head moves forward, parents are appended (core.js uses shift/push).
    const queue = tis.slice();
    let head = 0;
    while (head < queue.length && queue[head] > 0) {
      const j = queue[head++];
      const s = j & 1 ? j + 1 : j - 1;
      if (head < queue.length && queue[head] === s) {
        proofFlags.push(true);
        head++;
      } else {
        proofFlags.push(false);
        proof.push(this.node(s));
      }
      queue.push((j - 1) >> 1);
    }
    if (tis.length === 0) proof.push(this.root);
    const byTreeIndex = new Map<number, number>();
    for (const i of indices) byTreeIndex.set(this.treeIndex[i], i);
    return {
      indices: tis.map((t) => byTreeIndex.get(t) as number),
      leaves: tis.map((t) => this.node(t)),
      proof,
      proofFlags,
    };
  }

  /**
   * The StandardMerkleTree dump (`format: "standard-v1"`): deep-equal to
   * StandardMerkleTree.of(records.map(recordValues), RECORD_TYPES).dump(), so
   * StandardMerkleTree.load accepts it. Its JSON is ~1 KB per record: keep it for small batches.
   * `records` (default: those the tree was built from) must be the tree's, in original order.
   */
  dump(records: readonly InferenceRecord[] | undefined = this.records): RecordTreeDump {
    if (records === undefined) {
      throw new MerkleError(
        "dump needs the records: pass them, or build the tree with fromRecords",
      );
    }
    if (records.length !== this.length) {
      throw new MerkleError(`dump: ${records.length} records for ${this.length} leaves`);
    }
    const hex = this.prefixedHexOfNodes();
    const tree: string[] = new Array(2 * this.length - 1);
    for (let t = 0; t < tree.length; t++) tree[t] = hex.slice(66 * t, 66 * t + 66);
    return {
      format: "standard-v1",
      leafEncoding: [...RECORD_TYPES],
      tree,
      values: records.map((r, i) => ({ value: recordValues(r), treeIndex: this.treeIndex[i] })),
    };
  }
}

// ------------------------------------------------------------------------------------------------
// Verification (independent of any tree)

/** The root that `proof` yields for `leaf` (StandardMerkleTree's processProof), as hex. */
export function processProof(leaf: HashLike, proof: readonly HashLike[]): string {
  let acc = nodeBytes(leaf);
  for (const sibling of proof) acc = hashPair(acc, sibling);
  return hexOf(acc);
}

/** Whether `proof` proves `leaf` (a leaf hash) under `root`. Malformed input is just false. */
export function verifyProof(leaf: HashLike, proof: readonly HashLike[], root: HashLike): boolean {
  try {
    return processProof(leaf, proof) === hexOf(nodeBytes(root));
  } catch (e) {
    if (e instanceof MerkleError) return false;
    throw e;
  }
}

/** The root a multiproof of leaf hashes yields (StandardMerkleTree's processMultiProof), as hex. */
export function processMultiProof(multiproof: {
  leaves: readonly HashLike[];
  proof: readonly HashLike[];
  proofFlags: readonly boolean[];
}): string {
  const { leaves, proof, proofFlags } = multiproof;
  if (proof.length < proofFlags.filter((f) => !f).length) {
    throw new MerkleError("invalid multiproof format");
  }
  if (leaves.length + proof.length !== proofFlags.length + 1) {
    throw new MerkleError("leaves and multiproof are not compatible");
  }
  const queue: Uint8Array[] = leaves.map(nodeBytes);
  const proofNodes = proof.map(nodeBytes);
  let head = 0;
  let p = 0;
  for (const flag of proofFlags) {
    const a = queue[head++];
    const b = flag ? queue[head++] : proofNodes[p++];
    if (a === undefined || b === undefined) throw new MerkleError("invalid multiproof");
    queue.push(hashPair(a, b));
  }
  const rest = queue.length - head + proofNodes.length - p;
  if (rest !== 1) throw new MerkleError("invalid multiproof");
  return hexOf(head < queue.length ? queue[queue.length - 1] : proofNodes[p]);
}

/** Whether a multiproof of leaf hashes (e.g. from `multiProof`) proves them under `root`. */
export function verifyMultiProof(
  multiproof: {
    leaves: readonly HashLike[];
    proof: readonly HashLike[];
    proofFlags: readonly boolean[];
  },
  root: HashLike,
): boolean {
  try {
    return processMultiProof(multiproof) === hexOf(nodeBytes(root));
  } catch (e) {
    if (e instanceof MerkleError) return false;
    throw e;
  }
}
