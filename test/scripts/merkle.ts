import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { getAddress, hexlify, keccak256 } from "ethers";

import { randomRecords } from "../../scripts/bench/records.js";
import {
  MerkleError,
  RecordMerkleTree,
  hashPair,
  processProof,
  verifyMultiProof,
  verifyProof,
} from "../../src/records/merkle.js";
import {
  KECCAK,
  RECORD_ENCODED_BYTES,
  RECORD_TYPES,
  RecordError,
  checksumAddress,
  decodeRecord,
  encodeRecord,
  encodeRecordBytes,
  encodeRecordInto,
  keccak256Bytes,
  leafHash,
  leafHashBytes,
  parseRecord,
  recordLeaf,
  recordValues,
  writeEncodedRecordJson,
  type InferenceRecord,
} from "../../src/records/record.js";

const standardTree = (records: readonly InferenceRecord[]) =>
  StandardMerkleTree.of(records.map(recordValues), [...RECORD_TYPES]);

const hex = (bytes: Uint8Array) => hexlify(bytes);

describe("src/records/record.ts fast path", function () {
  const records = randomRecords(100, 1, { agents: 100, nodes: 100 });

  it("runs keccak on hash-wasm's WebAssembly module, not on the slow fallback", function () {
    expect(KECCAK.backend).to.equal("hash-wasm");
  });

  it("hashes like ethers' keccak256 for inputs of every block boundary", function () {
    for (const len of [0, 1, 31, 32, 64, 135, 136, 137, 272, 384, 20_000]) {
      const data = Uint8Array.from({ length: len }, (_, i) => (i * 7 + len) & 255);
      expect(hex(keccak256Bytes(data))).to.equal(keccak256(data));
    }
  });

  it("encodes every record exactly as ethers' AbiCoder does", function () {
    for (const r of records) expect(hex(encodeRecordBytes(r))).to.equal(encodeRecord(r));
  });

  it("gives the same leaf as the reference recordLeaf for random records", function () {
    for (const r of records) {
      expect(leafHash(r)).to.equal(recordLeaf(r));
      expect(hex(leafHashBytes(r))).to.equal(recordLeaf(r));
    }
  });

  it("gives the same leaf as the reference at the limits of every integer field", function () {
    const base = records[0];
    const limits: Partial<InferenceRecord>[] = [
      { version: 0, servedAt: 0, proofPath: 0 },
      { version: 2 ** 32 - 1, servedAt: 2 ** 48 - 1, proofPath: 3 },
      { servedAt: 2 ** 32 }, // crosses the 32-bit boundary of the encoder
      { servedAt: 2 ** 40 + 12345 },
    ];
    for (const change of limits) {
      const r = { ...base, ...change };
      expect(leafHash(r)).to.equal(recordLeaf(r));
    }
  });

  it("decodes an encoded record back to the parsed record", function () {
    const buf = new Uint8Array(2 * RECORD_ENCODED_BYTES);
    for (const r of records.slice(0, 50)) {
      encodeRecordInto(buf, r, RECORD_ENCODED_BYTES);
      expect(decodeRecord(buf, RECORD_ENCODED_BYTES)).to.deep.equal(r);
    }
  });

  it("writes a record's JSON from its encoding exactly as JSON.stringify does", function () {
    const enc = new Uint8Array(RECORD_ENCODED_BYTES);
    const out = Buffer.alloc(2048);
    for (const r of [...records.slice(0, 50), { ...records[0], servedAt: 2 ** 48 - 1 }]) {
      encodeRecordInto(enc, r);
      const end = writeEncodedRecordJson(enc, 0, out, 7);
      expect(out.toString("latin1", 7, end)).to.equal(JSON.stringify(r));
    }
  });

  it("checksums addresses exactly as ethers' getAddress does", function () {
    for (const r of records) {
      const lower = r.agent.toLowerCase();
      expect(checksumAddress(lower)).to.equal(getAddress(lower));
      expect(checksumAddress("0x" + lower.slice(2).toUpperCase())).to.equal(getAddress(lower));
    }
  });

  it("parses mixed-case addresses as ethers does: a wrong checksum is refused", function () {
    const r = { ...records[0] };
    expect(parseRecord({ ...r, agent: r.agent.toLowerCase() }).agent).to.equal(r.agent);
    const flipped = r.agent.replace(/[a-f]/, (c) => c.toUpperCase());
    expect(() => getAddress(flipped)).to.throw();
    expect(() => parseRecord({ ...r, agent: flipped })).to.throw(
      RecordError,
      /agent has a wrong checksum/,
    );
  });

  it("refuses fields that do not fit their type in the fast encoder", function () {
    const buf = new Uint8Array(RECORD_ENCODED_BYTES);
    const r = records[0];
    expect(() => encodeRecordInto(buf, { ...r, servedAt: 2 ** 48 })).to.throw(
      RecordError,
      /servedAt/,
    );
    expect(() => encodeRecordInto(buf, { ...r, version: -1 })).to.throw(RecordError, /version/);
    expect(() => encodeRecordInto(buf, { ...r, blobId: "0x12" })).to.throw(RecordError, /blobId/);
    expect(() => encodeRecordInto(buf, { ...r, node: "0x" + "g".repeat(40) })).to.throw(
      RecordError,
      /node/,
    );
  });
});

describe("src/records/merkle.ts", function () {
  for (const n of [1, 2, 3, 7, 64, 1000]) {
    it(`builds the same root, dump and proofs as StandardMerkleTree for ${n} random records`, function () {
      const records = randomRecords(n, 100 + n);
      const ours = RecordMerkleTree.fromRecords(records);
      const theirs = standardTree(records);
      expect(ours.root).to.equal(theirs.root);
      expect(ours.dump()).to.deep.equal(theirs.dump());
      // Equal dumps make equal proofs; StandardMerkleTree's getProof is slow, so sample at 1000.
      for (let i = 0; i < n; i += n > 100 ? 37 : 1) {
        expect(ours.proof(i)).to.deep.equal(theirs.getProof(i));
        expect(ours.leaf(i)).to.equal(recordLeaf(records[i]));
      }
    });
  }

  it("builds the same tree from encoded records and from leaf hashes as from the records", function () {
    const records = randomRecords(33, 4);
    const fromRecords = RecordMerkleTree.fromRecords(records);
    const encoded = new Uint8Array(records.length * RECORD_ENCODED_BYTES);
    records.forEach((r, i) => encodeRecordInto(encoded, r, i * RECORD_ENCODED_BYTES));
    const fromEncoded = RecordMerkleTree.fromEncoded(encoded);
    expect(fromEncoded.nodes).to.deep.equal(fromRecords.nodes);
    expect(fromEncoded.treeIndex).to.deep.equal(fromRecords.treeIndex);
    const leaves = new Uint8Array(32 * records.length);
    records.forEach((r, i) => leaves.set(leafHashBytes(r), 32 * i));
    expect(RecordMerkleTree.fromLeaves(leaves).root).to.equal(fromRecords.root);
    expect(fromEncoded.dump(records)).to.deep.equal(fromRecords.dump());
  });

  it("writes a dump that StandardMerkleTree.load accepts, validates and proves from", function () {
    const records = randomRecords(77, 5);
    const ours = RecordMerkleTree.fromRecords(records);
    const loaded = StandardMerkleTree.load(JSON.parse(JSON.stringify(ours.dump())));
    loaded.validate();
    expect(loaded.root).to.equal(ours.root);
    for (let i = 0; i < records.length; i++) {
      expect(loaded.verify(recordValues(records[i]), ours.proof(i))).to.equal(true);
    }
  });

  it("verifies every proof and rejects a proof of the wrong leaf or root", function () {
    const records = randomRecords(200, 6);
    const tree = RecordMerkleTree.fromRecords(records);
    for (let i = 0; i < records.length; i++) {
      expect(verifyProof(tree.leaf(i), tree.proof(i), tree.root)).to.equal(true);
      expect(verifyProof(tree.leafBytes(i), split(tree.proofBytes(i)), tree.rootBytes)).to.equal(
        true,
      );
      expect(
        StandardMerkleTree.verify(
          tree.root,
          [...RECORD_TYPES],
          recordValues(records[i]),
          tree.proof(i),
        ),
      ).to.equal(true);
    }
    expect(verifyProof(tree.leaf(1), tree.proof(0), tree.root)).to.equal(false);
    expect(verifyProof(tree.leaf(0), tree.proof(0), tree.leaf(0))).to.equal(false);
    expect(verifyProof("0x1234", tree.proof(0), tree.root)).to.equal(false);
  });

  it("packs every proof in memory, each equal to the hex proof of its record", function () {
    const records = randomRecords(100, 7);
    const tree = RecordMerkleTree.fromRecords(records);
    const all = tree.allProofsHex();
    const { offsets, bytes } = tree.allProofs();
    expect(offsets.length).to.equal(records.length + 1);
    for (let i = 0; i < records.length; i++) {
      const packed = bytes.subarray(32 * offsets[i], 32 * offsets[i + 1]);
      expect(unpack(packed)).to.deep.equal(tree.proof(i));
      expect(all[i]).to.deep.equal(tree.proof(i));
      expect(tree.proofLength(i)).to.equal(offsets[i + 1] - offsets[i]);
    }
  });

  it("gives the same multiproofs as StandardMerkleTree.getMultiProof", function () {
    const records = randomRecords(50, 8);
    const ours = RecordMerkleTree.fromRecords(records);
    const theirs = standardTree(records);
    const sets = [
      [],
      [0],
      [49],
      [0, 1, 2],
      [3, 17, 41, 8],
      [...Array(50).keys()],
      [49, 0, 25, 26, 27],
    ];
    for (const indices of sets) {
      const mp = ours.multiProof(indices);
      const smp = theirs.getMultiProof(indices);
      expect(mp.proof).to.deep.equal(smp.proof);
      expect(mp.proofFlags).to.deep.equal(smp.proofFlags);
      expect(mp.indices.map((i) => recordValues(records[i]))).to.deep.equal(smp.leaves);
      expect(mp.leaves).to.deep.equal(mp.indices.map((i) => ours.leaf(i)));
      expect(verifyMultiProof(mp, ours.root)).to.equal(true);
      expect(theirs.verifyMultiProof(smp)).to.equal(true);
    }
    expect(() => ours.multiProof([1, 1])).to.throw(MerkleError, /duplicated/);
    const bad = ours.multiProof([1, 2]);
    expect(
      verifyMultiProof({ ...bad, leaves: [bad.leaves[1], bad.leaves[0]] }, ours.root),
    ).to.equal(false);
  });

  it("keeps input order among equal leaves, as StandardMerkleTree's stable sort does", function () {
    const [a, b] = randomRecords(2, 9);
    const records = [a, b, a, a, b];
    const ours = RecordMerkleTree.fromRecords(records);
    const theirs = standardTree(records);
    expect(ours.dump()).to.deep.equal(theirs.dump());
    for (let i = 0; i < records.length; i++)
      expect(ours.proof(i)).to.deep.equal(theirs.getProof(i));
  });

  it("sorts leaves that share their first four bytes on the rest of their bytes", function () {
    const leaves = new Uint8Array(32 * 6);
    const prefixes = [7, 7, 7, 3, 7, 3];
    prefixes.forEach((p, i) => {
      leaves.set([0, 0, 0, p], 32 * i);
      leaves[32 * i + 31] = 100 - i * 10; // later bytes decreasing: order reversed within ties
    });
    leaves[32 * 4 + 31] = leaves[32 * 1 + 31]; // leaves 1 and 4 equal: input order kept
    const tree = RecordMerkleTree.fromLeaves(leaves);
    const sorted = [...tree.treeIndex]
      .map((t, i) => [t, i])
      .sort((x, y) => y[0] - x[0])
      .map((x) => x[1]);
    expect(sorted).to.deep.equal([5, 3, 2, 1, 4, 0]);
  });

  it("computes proofs and hashes pairs as OpenZeppelin's processProof does", function () {
    const records = randomRecords(9, 10);
    const tree = RecordMerkleTree.fromRecords(records);
    expect(processProof(tree.leaf(4), tree.proof(4))).to.equal(tree.root);
    const [x, y] = [tree.leaf(0), tree.leaf(1)];
    expect(hex(hashPair(x, y))).to.equal(hex(hashPair(y, x)));
  });

  it("refuses an empty tree, a bad index and a dump without records", function () {
    expect(() => RecordMerkleTree.fromRecords([])).to.throw(MerkleError, /at least one leaf/);
    const tree = RecordMerkleTree.fromLeaves(new Uint8Array(3 * 32));
    expect(() => tree.proof(3)).to.throw(MerkleError, /out of bounds/);
    expect(() => tree.proof(-1)).to.throw(MerkleError, /out of bounds/);
    expect(() => tree.dump()).to.throw(MerkleError, /needs the records/);
  });
});

/** Packed proof bytes as one Uint8Array per node. */
function split(packed: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let k = 0; k < packed.length; k += 32) out.push(packed.subarray(k, k + 32));
  return out;
}

/** Packed proof bytes as hex nodes. */
function unpack(packed: Uint8Array): string[] {
  return split(packed).map(hex);
}
