import { expect } from "chai";
import {
  AbiCoder,
  Signature,
  TypedDataEncoder,
  Wallet,
  concat,
  getAddress,
  id,
  keccak256,
  recoverAddress,
  toBeHex,
  zeroPadValue,
} from "ethers";
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { network } from "hardhat";

import { RECORD_FIELDS, type InferenceRecord } from "../src/records/record.js";
import type { ZkVerifierGasTestDouble } from "../types/ethers-contracts/index.js";
import {
  ATTESTATION_TYPES,
  AttestationStatus,
  Batch,
  FILE_REF,
  MODEL_ID,
  Mask,
  OTHER_MODEL_ID,
  Path,
  REASON_HASH,
  ZkGasMode,
  ZkMode,
  anchorBatch,
  attestationDomain,
  attestedFields,
  blobOf,
  deployAnchor,
  inOneBlock,
  makeRecord,
  minedAt,
  teeRecord,
  zkInstancesOf,
  zkProofFor,
  zkRecord,
  type AnchorFixture,
} from "./helpers/anchor-fixture.js";

const connection = await network.getOrCreate();
const { ethers, networkHelpers } = connection;
const { time } = networkHelpers;

/** The order of the secp256k1 group. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

async function anchorFixture(): Promise<AnchorFixture> {
  return deployAnchor(connection);
}

function loadFixture(): Promise<AnchorFixture> {
  return networkHelpers.loadFixture(anchorFixture);
}

async function now(): Promise<bigint> {
  return BigInt(await time.latest());
}

/** verifyAttestation of the record at `index` of `batch`, as a plain tuple. */
async function attest(
  f: AnchorFixture,
  batch: Batch,
  index: number,
  attestation: string,
  record: InferenceRecord = batch.records[index],
  proof: string[] = batch.proof(index),
): Promise<[boolean, bigint]> {
  return [
    ...(await f.anchor.verifyAttestation(MODEL_ID, batch.root, record, proof, attestation)),
  ] as [boolean, bigint];
}

const VALID: [boolean, bigint] = [true, AttestationStatus.Valid];

function rejected(status: bigint): [boolean, bigint] {
  return [false, status];
}

/** The signer the ecrecover precompile recovers from a 65-byte r || s || v signature. */
async function ecrecover(digest: string, signature: string): Promise<string> {
  const sig = ethers.getBytes(signature);
  const data = AbiCoder.defaultAbiCoder().encode(
    ["bytes32", "uint8", "bytes32", "bytes32"],
    [digest, sig[64], sig.slice(0, 32), sig.slice(32, 64)],
  );
  const out = await ethers.provider.call({ to: zeroPadValue("0x01", 20), data });
  return getAddress("0x" + out.slice(26));
}

/** The malleated twin of a 65-byte signature: s' = n - s and the other recovery id. */
function highS(signature: string): string {
  const sig = Signature.from(signature);
  const s = SECP256K1_N - BigInt(sig.s);
  return concat([sig.r, toBeHex(s, 32), toBeHex(sig.v === 27 ? 28 : 27, 1)]);
}

describe("InferenceAnchor attestations", function () {
  describe("TEE", function () {
    it("has the enclave sign the EIP-712 digest of every record field but proofCommitment", async function () {
      const f = await loadFixture();
      const anchorAddress = await f.anchor.getAddress();
      const record = makeRecord(f, 1_700_000_000, {
        proofPath: Path.TEE,
        proofCommitment: id("c"),
      });
      const domain = attestationDomain(f.chainId, anchorAddress);
      const digest = await f.anchor.attestationDigest(record);
      expect(digest).to.equal(
        TypedDataEncoder.hash(domain, ATTESTATION_TYPES, attestedFields(record)),
      );
      expect(
        await f.anchor.attestationDigest({ ...record, proofCommitment: id("other") }),
      ).to.equal(digest);
      for (const field of RECORD_FIELDS.filter((x) => x !== "proofCommitment")) {
        const value = record[field];
        const changed =
          typeof value === "number"
            ? value + 1
            : value.length === 42
              ? f.stranger.address
              : id(`changed ${field}`);
        expect(
          await f.anchor.attestationDigest({ ...record, [field]: changed }),
          field,
        ).to.not.equal(digest);
      }
      const { signature } = await teeRecord(f.enclave, f.chainId, anchorAddress, record);
      expect(recoverAddress(digest, signature)).to.equal(f.enclave.address);
    });

    it("accepts a signature of the registered enclave key of the record's node", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const a = await teeRecord(
        f.enclave,
        f.chainId,
        await f.anchor.getAddress(),
        makeRecord(f, t - 10n),
      );
      // An attestation proves who signed, not what was live: a v1 record is attested too.
      const b = await teeRecord(
        f.enclave,
        f.chainId,
        await f.anchor.getAddress(),
        makeRecord(f, t - 5n, { version: 1, blobId: blobOf(MODEL_ID, 1) }),
      );
      const { batch } = await anchorBatch(connection, f, [a.record, b.record]);
      expect(await attest(f, batch, 0, a.signature)).to.deep.equal(VALID);
      expect(await attest(f, batch, 1, b.signature)).to.deep.equal(VALID);
    });

    it("keeps a signature valid in a batch anchored before the key's revocation", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const a = await teeRecord(
        f.enclave,
        f.chainId,
        await f.anchor.getAddress(),
        makeRecord(f, t - 10n),
      );
      const { batch, anchoredAt } = await anchorBatch(connection, f, [a.record]);
      await time.increase(60);
      const revokedAt = await minedAt(
        f.anchor.connect(f.guardian).revokeEnclaveKey(f.enclave.address, REASON_HASH),
      );
      expect(revokedAt).to.be.greaterThan(anchoredAt);
      expect(await attest(f, batch, 0, a.signature)).to.deep.equal(VALID);
    });

    it("rejects a signature in a batch anchored after the key's revocation as KeyRevoked", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      // Served and signed before the revocation, but anchored after it.
      const a = await teeRecord(
        f.enclave,
        f.chainId,
        await f.anchor.getAddress(),
        makeRecord(f, t - 10n),
      );
      const revokedAt = await minedAt(
        f.anchor.connect(f.guardian).revokeEnclaveKey(f.enclave.address, REASON_HASH),
      );
      const { batch, anchoredAt } = await anchorBatch(connection, f, [a.record]);
      expect(anchoredAt).to.be.greaterThan(revokedAt);
      expect(BigInt(a.record.servedAt)).to.be.lessThan(revokedAt);
      expect(await attest(f, batch, 0, a.signature)).to.deep.equal(
        rejected(AttestationStatus.KeyRevoked),
      );
    });

    it("rejects a record served before the key was registered, and accepts one served at that second", async function () {
      const f = await loadFixture();
      const anchorAddress = await f.anchor.getAddress();
      const early = await teeRecord(
        f.enclave,
        f.chainId,
        anchorAddress,
        makeRecord(f, f.enclaveRegisteredAt - 1n),
      );
      const onTime = await teeRecord(
        f.enclave,
        f.chainId,
        anchorAddress,
        makeRecord(f, f.enclaveRegisteredAt),
      );
      const { batch } = await anchorBatch(connection, f, [early.record, onTime.record]);
      expect(await attest(f, batch, 0, early.signature)).to.deep.equal(
        rejected(AttestationStatus.KeyNotYetRegistered),
      );
      expect(await attest(f, batch, 1, onTime.signature)).to.deep.equal(VALID);
    });

    it("rejects a signature by a key registered for another node as WrongNode", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const a = await teeRecord(
        f.enclave,
        f.chainId,
        await f.anchor.getAddress(),
        makeRecord(f, t - 10n, { node: f.secondNode.address }),
      );
      // secondNode anchors its record, signed with node's enclave key.
      const { batch } = await anchorBatch(connection, f, [a.record], { operator: f.secondNode });
      expect((await f.anchor.enclaveKey(f.enclave.address)).node).to.equal(f.node.address);
      expect(await attest(f, batch, 0, a.signature)).to.deep.equal(
        rejected(AttestationStatus.WrongNode),
      );
    });

    it("rejects a signature by a key that was never registered as UnknownKey", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const rogue = new Wallet(id("rogue enclave"));
      const a = await teeRecord(
        rogue,
        f.chainId,
        await f.anchor.getAddress(),
        makeRecord(f, t - 10n),
      );
      const { batch } = await anchorBatch(connection, f, [a.record]);
      expect((await f.anchor.enclaveKey(rogue.address)).registeredAt).to.equal(0n);
      expect(await attest(f, batch, 0, a.signature)).to.deep.equal(
        rejected(AttestationStatus.UnknownKey),
      );
    });

    it("rejects a 64-byte signature and a high-s signature as BadSignature", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const anchorAddress = await f.anchor.getAddress();
      const base = (await teeRecord(f.enclave, f.chainId, anchorAddress, makeRecord(f, t - 10n)))
        .record;
      const { signature } = await teeRecord(f.enclave, f.chainId, anchorAddress, base);
      const compact = Signature.from(signature).compactSerialized;
      const malleated = highS(signature);
      expect(ethers.getBytes(compact).length).to.equal(64);
      // The high-s twin is the same signature to the bare precompile: only its form is rejected.
      const digest = await f.anchor.attestationDigest(base);
      expect(await ecrecover(digest, malleated)).to.equal(f.enclave.address);
      const records = [compact, malleated].map((sig) => ({
        ...base,
        proofCommitment: keccak256(sig),
      }));
      const { batch } = await anchorBatch(connection, f, records);
      expect(await attest(f, batch, 0, compact)).to.deep.equal(
        rejected(AttestationStatus.BadSignature),
      );
      expect(await attest(f, batch, 1, malleated)).to.deep.equal(
        rejected(AttestationStatus.BadSignature),
      );
    });

    it("rejects an attestation that is not the one the record commits to as CommitmentMismatch", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const a = await teeRecord(
        f.enclave,
        f.chainId,
        await f.anchor.getAddress(),
        makeRecord(f, t - 10n),
      );
      const uncommitted = { ...a.record, proofCommitment: id("another attestation") };
      const { batch } = await anchorBatch(connection, f, [a.record, uncommitted]);
      // A valid signature of the record, but the record commits to another attestation.
      expect(await attest(f, batch, 1, a.signature)).to.deep.equal(
        rejected(AttestationStatus.CommitmentMismatch),
      );
      // The committed record, with another (also valid) encoding of the signature.
      const compact = Signature.from(a.signature).compactSerialized;
      expect(await attest(f, batch, 0, compact)).to.deep.equal(
        rejected(AttestationStatus.CommitmentMismatch),
      );
      expect(await attest(f, batch, 0, a.signature)).to.deep.equal(VALID);
    });

    it("rejects a signature made for another chain id", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const anchorAddress = await f.anchor.getAddress();
      const a = await teeRecord(f.enclave, f.chainId + 1n, anchorAddress, makeRecord(f, t - 10n));
      const { batch } = await anchorBatch(connection, f, [a.record]);
      const recovered = recoverAddress(await f.anchor.attestationDigest(a.record), a.signature);
      expect(recovered).to.not.equal(f.enclave.address);
      expect((await f.anchor.enclaveKey(recovered)).registeredAt).to.equal(0n);
      expect(await attest(f, batch, 0, a.signature)).to.deep.equal(
        rejected(AttestationStatus.UnknownKey),
      );
    });

    it("rejects a signature made for another InferenceAnchor deployment", async function () {
      const f = await loadFixture();
      const twin = await ethers.deployContract("InferenceAnchor", [
        await f.manager.getAddress(),
        await f.registry.getAddress(),
        await f.anchor.maxAnchorDelay(),
      ]);
      await time.increase(60);
      const t = await now();
      const a = await teeRecord(
        f.enclave,
        f.chainId,
        await twin.getAddress(),
        makeRecord(f, t - 10n),
      );
      const { batch } = await anchorBatch(connection, f, [a.record]);
      expect(await twin.getFunction("attestationDigest")(a.record)).to.not.equal(
        await f.anchor.attestationDigest(a.record),
      );
      expect(await attest(f, batch, 0, a.signature)).to.deep.equal(
        rejected(AttestationStatus.UnknownKey),
      );
    });

    it("rejects a record that is not in the batch as NotIncluded", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const anchorAddress = await f.anchor.getAddress();
      const a = await teeRecord(f.enclave, f.chainId, anchorAddress, makeRecord(f, t - 10n));
      const b = await teeRecord(f.enclave, f.chainId, anchorAddress, makeRecord(f, t - 9n));
      const { batch } = await anchorBatch(connection, f, [a.record, b.record]);
      // A validly signed record, never anchored, with the proof of an anchored one.
      const c = await teeRecord(f.enclave, f.chainId, anchorAddress, makeRecord(f, t - 8n));
      expect(await attest(f, batch, 0, c.signature, c.record, batch.proof(0))).to.deep.equal(
        rejected(AttestationStatus.NotIncluded),
      );
      const changed = { ...a.record, outputHash: id("another output") };
      expect(await attest(f, batch, 0, a.signature, changed)).to.deep.equal(
        rejected(AttestationStatus.NotIncluded),
      );
    });

    it("reports NoAttestationPath for records served without TEE or ZKML", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const attestation = id("anything");
      const records = [Path.NONE, Path.OPTIMISTIC, 7].map((proofPath, i) =>
        makeRecord(f, t - 10n + BigInt(i), { proofPath, proofCommitment: keccak256(attestation) }),
      );
      const { batch } = await anchorBatch(connection, f, records);
      for (let i = 0; i < records.length; i++) {
        expect(
          await attest(f, batch, i, attestation),
          `path ${records[i].proofPath}`,
        ).to.deep.equal(rejected(AttestationStatus.NoAttestationPath));
      }
    });

    it("reports ProofPathNotAllowed for a TEE record of a version without the TEE bit", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const mask = Number((await f.registry.getVersion(MODEL_ID, 3)).proofMask);
      expect((mask >> Path.TEE) & 1).to.equal(0);
      const v3 = await teeRecord(
        f.enclave,
        f.chainId,
        await f.anchor.getAddress(),
        makeRecord(f, t - 10n, { version: 3, blobId: blobOf(MODEL_ID, 3) }),
      );
      const { batch } = await anchorBatch(connection, f, [v3.record]);
      expect(await attest(f, batch, 0, v3.signature)).to.deep.equal(
        rejected(AttestationStatus.ProofPathNotAllowed),
      );
    });

    it("reports RecordMismatch for a record of another model, an unknown format or weights other than its version's", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const anchorAddress = await f.anchor.getAddress();
      const mismatches: Array<[string, Partial<InferenceRecord>]> = [
        ["another model", { modelId: OTHER_MODEL_ID }],
        ["format 2", { format: 2 }],
        ["another version's blob", { blobId: blobOf(MODEL_ID, 1) }],
        ["an unknown version", { version: 42 }],
        // Checked before the proof path: a record without attestation path mismatches too.
        ["another model, path NONE", { modelId: OTHER_MODEL_ID, proofPath: Path.NONE }],
      ];
      const signed = await Promise.all(
        mismatches.map(async ([, overrides], i) => {
          const { proofPath, ...rest } = overrides;
          const tee = await teeRecord(
            f.enclave,
            f.chainId,
            anchorAddress,
            makeRecord(f, t - 20n + BigInt(i), rest),
          );
          return proofPath === undefined ? tee : { ...tee, record: { ...tee.record, proofPath } };
        }),
      );
      const { batch } = await anchorBatch(
        connection,
        f,
        signed.map((x) => x.record),
      );
      for (const [i, [name]] of mismatches.entries()) {
        expect(await attest(f, batch, i, signed[i].signature), name).to.deep.equal(
          rejected(AttestationStatus.RecordMismatch),
        );
      }
    });

    it("treats a key revoked in the anchoring block, after the anchor, as revoked", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const a = await teeRecord(
        f.enclave,
        f.chainId,
        await f.anchor.getAddress(),
        makeRecord(f, t - 10n),
      );
      const batch = new Batch([a.record]);
      const at = t + 10n;
      const order = await inOneBlock(connection, at, [
        () =>
          f.anchor
            .connect(f.node)
            .anchor(MODEL_ID, batch.root, 1, t - 10n, t - 10n, FILE_REF, { gasLimit: 300_000 }),
        () =>
          f.anchor
            .connect(f.guardian)
            .revokeEnclaveKey(f.enclave.address, REASON_HASH, { gasLimit: 300_000 }),
      ]);
      expect(order[0]).to.be.lessThan(order[1]);
      expect((await f.anchor.enclaveKey(f.enclave.address)).revokedAt).to.equal(at);
      expect((await f.anchor.getBatch(MODEL_ID, f.node.address, batch.root)).anchoredAt).to.equal(
        at,
      );
      expect(await attest(f, batch, 0, a.signature)).to.deep.equal(
        rejected(AttestationStatus.KeyRevoked),
      );
    });

    it("reverts with AnchorUnknownBatch for a root not anchored for the model", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const a = await teeRecord(
        f.enclave,
        f.chainId,
        await f.anchor.getAddress(),
        makeRecord(f, t - 10n),
      );
      const batch = new Batch([a.record]);
      await anchorBatch(connection, f, [a.record], {
        modelId: OTHER_MODEL_ID,
        operator: f.otherNode,
      });
      await expect(attest(f, batch, 0, a.signature))
        .to.be.revertedWithCustomError(f.anchor, "AnchorUnknownBatch")
        .withArgs(MODEL_ID, f.node.address, batch.root);
    });
  });

  describe("ZKML", function () {
    it("derives the public inputs as 128-bit limbs, high first, of inputHash, outputHash, blobId and requestId, then agent, node and servedAt", async function () {
      const f = await loadFixture();
      const max = "0x" + "ff".repeat(32);
      const records = [
        makeRecord(f, 1),
        makeRecord(f, 2, { inputHash: max, outputHash: "0x" + "00".repeat(32), blobId: max }),
      ];
      for (const r of records) {
        const instances = await f.anchor.zkInstances(r);
        expect([...instances]).to.deep.equal(zkInstancesOf(r));
        const values = [r.inputHash, r.outputHash, r.blobId, r.requestId].map(BigInt);
        for (const [i, value] of values.entries()) {
          const [high, low] = [instances[2 * i], instances[2 * i + 1]];
          expect(high < 1n << 128n && low < 1n << 128n).to.equal(true);
          expect((high << 128n) | low).to.equal(value);
        }
        expect(instances.slice(8)).to.deep.equal([
          BigInt(r.agent),
          BigInt(r.node),
          BigInt(r.servedAt),
        ]);
      }
    });

    it("accepts the proof the version's verifier accepts for the record's public inputs", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const a = zkRecord(makeRecord(f, t - 10n));
      const { batch } = await anchorBatch(connection, f, [a.record]);
      expect(a.proof).to.equal(zkProofFor([...(await f.anchor.zkInstances(a.record))]));
      expect(await f.zk.verifyProof(a.proof, zkInstancesOf(a.record))).to.equal(true);
      expect(await attest(f, batch, 0, a.proof)).to.deep.equal(VALID);
    });

    it("rejects a proof of other public inputs as ProofRejected", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const unproven = makeRecord(f, t - 10n);
      const other = zkRecord(makeRecord(f, t - 9n)).proof; // proves another record's inputs
      const record = { ...unproven, proofPath: Path.ZKML, proofCommitment: keccak256(other) };
      const { batch } = await anchorBatch(connection, f, [record]);
      expect(await attest(f, batch, 0, other)).to.deep.equal(
        rejected(AttestationStatus.ProofRejected),
      );
    });

    it("rejects another node's published proof copied into a record of the same input, output and weights (another request, agent, node or time)", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const honest = zkRecord(makeRecord(f, t - 10n));
      const { batch: honestBatch } = await anchorBatch(connection, f, [honest.record]);
      expect(await attest(f, honestBatch, 0, honest.proof)).to.deep.equal(VALID);
      const copies = [
        { requestId: id("copier:request") },
        { agent: f.secondNode.address },
        { servedAt: Number(t - 9n) },
        { node: f.secondNode.address },
      ];
      for (const change of copies) {
        const copy = { ...honest.record, ...change };
        const anchorer = change.node !== undefined ? f.secondNode : f.node;
        const { batch } = await anchorBatch(connection, f, [copy], { operator: anchorer });
        expect(await attest(f, batch, 0, honest.proof), JSON.stringify(change)).to.deep.equal(
          rejected(AttestationStatus.ProofRejected),
        );
      }
    });

    it("rejects any proof when the verifier reverts or returns something other than true", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const a = zkRecord(makeRecord(f, t - 10n));
      const { batch } = await anchorBatch(connection, f, [a.record]);
      for (const mode of [ZkMode.Reverts, ZkMode.ReturnsGarbage]) {
        await (await f.zk.setMode(mode)).wait();
        expect(await attest(f, batch, 0, a.proof), `mode ${mode}`).to.deep.equal(
          rejected(AttestationStatus.ProofRejected),
        );
      }
      await (await f.zk.setMode(ZkMode.Honest)).wait();
      expect(await attest(f, batch, 0, a.proof)).to.deep.equal(VALID);
    });

    it("rejects a proof that is not the one the record commits to as CommitmentMismatch", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const a = zkRecord(makeRecord(f, t - 10n));
      const uncommitted = { ...a.record, proofCommitment: id("another proof") };
      const { batch } = await anchorBatch(connection, f, [a.record, uncommitted]);
      expect(await attest(f, batch, 1, a.proof)).to.deep.equal(
        rejected(AttestationStatus.CommitmentMismatch),
      );
      expect(await attest(f, batch, 0, id("another proof"))).to.deep.equal(
        rejected(AttestationStatus.CommitmentMismatch),
      );
    });

    it("reports ProofPathNotAllowed for a ZKML record of a version without the ZKML bit", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const a = zkRecord(makeRecord(f, t - 10n, { version: 1, blobId: blobOf(MODEL_ID, 1) }));
      const { batch } = await anchorBatch(connection, f, [a.record]);
      expect(await attest(f, batch, 0, a.proof)).to.deep.equal(
        rejected(AttestationStatus.ProofPathNotAllowed),
      );
    });
    describe("verifier gas", function () {
      /** MODEL_ID v4: NONE|ZKML with the gas test double as its verifier; a record proven for it. */
      async function gasVerifierVersion(f: AnchorFixture) {
        const budget = await f.anchor.ZK_VERIFIER_GAS();
        const verifier = (await ethers.deployContract("ZkVerifierGasTestDouble", [
          budget - 5_000n,
        ])) as unknown as ZkVerifierGasTestDouble;
        const version = Number(await f.registry.versionCount(MODEL_ID)) + 1;
        await (
          await f.registry
            .connect(f.publisher)
            .registerVersion(
              MODEL_ID,
              blobOf(MODEL_ID, version),
              id(`weights:${version}`),
              `ipfs://v${version}`,
              Mask.NONE | Mask.ZKML,
              await verifier.getAddress(),
            )
        ).wait();
        await time.increase(60);
        const t = await now();
        const a = zkRecord(makeRecord(f, t - 10n, { version, blobId: blobOf(MODEL_ID, version) }));
        const { batch } = await anchorBatch(connection, f, [a.record]);
        // The least gas a call may leave for the verifier to get its full budget.
        const required = (budget * 64n) / 63n + 10_000n;
        return { verifier, batch, proof: a.proof, required };
      }

      it("gives the verifier its full budget whatever gas the caller sends, or reverts with AnchorInsufficientGas", async function () {
        const f = await loadFixture();
        const { batch, proof, required } = await gasVerifierVersion(f);
        const call = (gasLimit: bigint) =>
          f.anchor.verifyAttestation(
            MODEL_ID,
            batch.root,
            batch.records[0],
            batch.proof(0),
            proof,
            {
              gasLimit,
            },
          );
        expect([...(await call(10_000_000n))]).to.deep.equal(VALID);
        await expect(call(required))
          .to.be.revertedWithCustomError(f.anchor, "AnchorInsufficientGas")
          .withArgs(anyValue, required);
        // Around the threshold, an honest proof is never rejected: valid, or the call reverts.
        const outcomes = new Set<string>();
        for (let gasLimit = required; gasLimit <= required + 150_000n; gasLimit += 5_000n) {
          try {
            const result = [...(await call(gasLimit))];
            expect(result, `gas ${gasLimit}`).to.deep.equal(VALID);
            outcomes.add("valid");
          } catch (error) {
            expect(String(error), `gas ${gasLimit}`).to.match(/AnchorInsufficientGas/);
            outcomes.add("reverted");
          }
        }
        expect([...outcomes].sort()).to.deep.equal(["reverted", "valid"]);
      });

      it("rejects the proof when the verifier burns its gas or answers anything but one word of true", async function () {
        const f = await loadFixture();
        const { verifier, batch, proof, required } = await gasVerifierVersion(f);
        for (const mode of [
          ZkGasMode.BurnsAllGas,
          ZkGasMode.ReturnsTrueTwice,
          ZkGasMode.ReturnsTrueAndMegabytes,
          ZkGasMode.ReturnsNothing,
        ]) {
          await (await verifier.setMode(mode)).wait();
          // The verifier's budget plus little: copying a megabyte answer would not fit.
          const result = await f.anchor.verifyAttestation(
            MODEL_ID,
            batch.root,
            batch.records[0],
            batch.proof(0),
            proof,
            { gasLimit: required + 200_000n },
          );
          expect([...result], `mode ${mode}`).to.deep.equal(
            rejected(AttestationStatus.ProofRejected),
          );
        }
        await (await verifier.setMode(ZkGasMode.NeedsBudget)).wait();
        expect(await attest(f, batch, 0, proof)).to.deep.equal(VALID);
      });
    });
  });
});
