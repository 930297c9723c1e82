import { expect } from "chai";
import { ZeroAddress, id } from "ethers";
import { network } from "hardhat";

import { RECORD_FIELDS, type InferenceRecord } from "../src/records/record.js";
import {
  Batch,
  Disposition,
  FILE_REF,
  MODEL_ID,
  OTHER_MODEL_ID,
  Path,
  REASON_HASH,
  REASON_URI,
  Standing,
  VersionStatus,
  anchorBatch,
  blobOf,
  deployAnchor,
  expected,
  flagsOf,
  inOneBlock,
  makeRecord,
  minedAt,
  primaryOf,
  recordFromValues,
  rollbackTo,
  sendRollback,
  type AnchorFixture,
  type StandingName,
} from "./helpers/anchor-fixture.js";

const connection = await network.getOrCreate();
const { networkHelpers } = connection;
const { time } = networkHelpers;

async function anchorFixture(): Promise<AnchorFixture> {
  return deployAnchor(connection);
}

function loadFixture(): Promise<AnchorFixture> {
  return networkHelpers.loadFixture(anchorFixture);
}

async function now(): Promise<bigint> {
  return BigInt(await time.latest());
}

type Verdict = [boolean, bigint, bigint];

/** verifyRecord of the record at `index` of `batch`, with its own proof, as a plain tuple. */
async function verify(
  f: AnchorFixture,
  batch: Batch,
  index: number,
  record: InferenceRecord = batch.records[index],
  proof: string[] = batch.proof(index),
): Promise<Verdict> {
  return [...(await f.anchor.verifyRecord(MODEL_ID, batch.root, record, proof))] as Verdict;
}

/** verifyRecordWithHint, as a plain tuple. */
async function verifyWithHint(
  f: AnchorFixture,
  batch: Batch,
  index: number,
  hint: bigint,
): Promise<Verdict> {
  return [
    ...(await f.anchor.verifyRecordWithHint(
      MODEL_ID,
      batch.root,
      batch.records[index],
      batch.proof(index),
      hint,
    )),
  ] as Verdict;
}

/**
 * The hint the registry expects for `t`: the epoch live at `t`, or for a time when nothing was
 * live, the last epoch that opened before it (0 before the first epoch).
 */
async function hintFor(f: AnchorFixture, t: bigint): Promise<bigint> {
  const all = await f.registry.epochs(MODEL_ID, 0, 1000);
  let hint = 0n;
  for (const e of all) if (e.epoch.startTime <= t) hint = e.id;
  return hint;
}

/** A copy of `r` with `field` changed to another valid value of its type. */
function tampered(r: InferenceRecord, field: (typeof RECORD_FIELDS)[number]): InferenceRecord {
  const value = r[field];
  const changed =
    typeof value === "number"
      ? value + 1
      : value.length === 42
        ? value === ZeroAddress
          ? "0x000000000000000000000000000000000000dEaD"
          : ZeroAddress
        : id(`tampered ${value}`);
  return { ...r, [field]: changed };
}

describe("InferenceAnchor verification", function () {
  describe("verifyRecord", function () {
    it("reports conforming records of the live version on every allowed proof path", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const records = [
        makeRecord(f, t - 40n),
        makeRecord(f, t - 30n, { proofPath: Path.TEE }),
        makeRecord(f, t - 20n, { proofPath: Path.ZKML }),
        makeRecord(f, t - 1n),
      ];
      const { batch } = await anchorBatch(connection, f, records);
      for (let i = 0; i < records.length; i++) {
        expect(await verify(f, batch, i), `record ${i}`).to.deep.equal(expected());
      }
    });

    it("treats the activation second as live and the second before it as not live (half-open windows)", async function () {
      const f = await loadFixture();
      const records = [
        makeRecord(f, f.v2LiveAt),
        makeRecord(f, f.v2LiveAt - 1n),
        makeRecord(f, f.v2LiveAt - 1n, { version: 1, blobId: blobOf(MODEL_ID, 1) }),
      ];
      const { batch } = await anchorBatch(connection, f, records);
      expect(await verify(f, batch, 0)).to.deep.equal(expected());
      expect(await verify(f, batch, 1)).to.deep.equal(expected("NotLive"));
      // v1 was live then, but its window closed (v2's promotion) before the batch was anchored.
      expect(await verify(f, batch, 2)).to.deep.equal(expected("Unconfirmable"));
    });

    it("reports only NotIncluded for the proof of another batch, or of another record", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const a = await anchorBatch(connection, f, [makeRecord(f, t - 10n), makeRecord(f, t - 9n)]);
      const b = await anchorBatch(connection, f, [makeRecord(f, t - 8n), makeRecord(f, t - 7n)]);
      const notIncluded = expected("NotIncluded");
      expect(notIncluded).to.deep.equal([false, 1n << Standing.NotIncluded, Standing.NotIncluded]);
      expect(await verify(f, a.batch, 0, b.batch.records[0], b.batch.proof(0))).to.deep.equal(
        notIncluded,
      );
      expect(await verify(f, a.batch, 0, a.batch.records[0], a.batch.proof(1))).to.deep.equal(
        // Two leaves: the proof of one is the other leaf. Only the record's own proof works.
        notIncluded,
      );
      expect(await verify(f, a.batch, 0, a.batch.records[0], [])).to.deep.equal(notIncluded);
    });

    it("reports only NotIncluded when any field but the node of an anchored record is tampered with", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const { batch } = await anchorBatch(connection, f, [
        makeRecord(f, t - 10n, { proofPath: Path.TEE, proofCommitment: id("attestation") }),
        makeRecord(f, t - 5n),
      ]);
      expect(await verify(f, batch, 0)).to.deep.equal(expected());
      for (const field of RECORD_FIELDS.filter((x) => x !== "node")) {
        expect(
          await verify(f, batch, 0, tampered(batch.records[0], field), batch.proof(0)),
          field,
        ).to.deep.equal(expected("NotIncluded"));
      }
      // Another node is looked up under its own batches: it anchored none with this root.
      const renamed = tampered(batch.records[0], "node");
      await expect(verify(f, batch, 0, renamed, batch.proof(0)))
        .to.be.revertedWithCustomError(f.anchor, "AnchorUnknownBatch")
        .withArgs(MODEL_ID, renamed.node, batch.root);
    });

    it("reports UnknownFormat for a record of a format other than 1", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const { batch } = await anchorBatch(connection, f, [
        makeRecord(f, t - 10n, { format: 2 }),
        makeRecord(f, t - 9n, { format: 0 }),
      ]);
      expect(await verify(f, batch, 0)).to.deep.equal(expected("UnknownFormat"));
      expect(await verify(f, batch, 1)).to.deep.equal(expected("UnknownFormat"));
    });

    it("reports WrongModel for a record of another model in the batch", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const { batch } = await anchorBatch(connection, f, [
        makeRecord(f, t - 10n, { modelId: OTHER_MODEL_ID }),
      ]);
      expect(await verify(f, batch, 0)).to.deep.equal(expected("WrongModel"));
    });

    it("reports UnknownVersion, and NotLive, for a version that was never registered", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const next = Number(await f.registry.versionCount(MODEL_ID)) + 1;
      const { batch } = await anchorBatch(connection, f, [
        makeRecord(f, t - 10n, { version: next, blobId: blobOf(MODEL_ID, next) }),
        makeRecord(f, t - 9n, { version: 0 }),
      ]);
      expect(await verify(f, batch, 0)).to.deep.equal(expected("UnknownVersion", "NotLive"));
      expect(await verify(f, batch, 1)).to.deep.equal(expected("UnknownVersion", "NotLive"));
    });

    it("reports WrongBlob for a record that names other weights than its version's", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const { batch } = await anchorBatch(connection, f, [
        makeRecord(f, t - 10n, { blobId: blobOf(MODEL_ID, 1) }),
        makeRecord(f, t - 9n, { blobId: id("unregistered weights") }),
      ]);
      expect(await verify(f, batch, 0)).to.deep.equal(expected("WrongBlob"));
      expect(await verify(f, batch, 1)).to.deep.equal(expected("WrongBlob"));
    });

    it("reports ProofPathNotAllowed for a path outside the version's mask or undefined", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const mask = Number((await f.registry.getVersion(MODEL_ID, 2)).proofMask);
      expect((mask >> Path.OPTIMISTIC) & 1).to.equal(0);
      const { batch } = await anchorBatch(connection, f, [
        makeRecord(f, t - 10n, { proofPath: Path.OPTIMISTIC }),
        makeRecord(f, t - 9n, { proofPath: Path.OPTIMISTIC + 1 }),
        makeRecord(f, t - 8n, { proofPath: 255 }),
      ]);
      for (let i = 0; i < 3; i++) {
        expect(await verify(f, batch, i), `record ${i}`).to.deep.equal(
          expected("ProofPathNotAllowed"),
        );
      }
    });

    it("reports OutsideBatchRange for records served before or after the declared range", async function () {
      const f = await loadFixture();
      await time.increase(120);
      const t = await now();
      const at = t + 10n;
      const records = [
        makeRecord(f, t - 50n), // before the range
        makeRecord(f, t - 30n), // the first second of the range
        makeRecord(f, t - 10n), // the last second of the range
        makeRecord(f, t - 5n), // after the range, before anchoring
        makeRecord(f, at), // at the anchoring second (not asked of the history)
        makeRecord(f, at + 3600n), // after anchoring (not asked of the history)
      ];
      const { batch } = await anchorBatch(connection, f, records, {
        first: t - 30n,
        last: t - 10n,
        at,
      });
      const wanted: StandingName[][] = [
        ["OutsideBatchRange"],
        [],
        [],
        ["OutsideBatchRange"],
        ["OutsideBatchRange"],
        ["OutsideBatchRange"],
      ];
      for (const [i, standings] of wanted.entries()) {
        expect(await verify(f, batch, i), `record ${i}`).to.deep.equal(expected(...standings));
      }
    });

    it("reports NotLive for a version registered but never made live", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const { batch } = await anchorBatch(connection, f, [
        makeRecord(f, t - 10n, { version: 3, blobId: blobOf(MODEL_ID, 3) }),
      ]);
      expect(await verify(f, batch, 0)).to.deep.equal(expected("NotLive"));
    });

    it("reports the stale node's records after a rollback as NotLive with VersionFaulty", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const rolledBackAt = await rollbackTo(
        f.registry,
        f.guardian,
        MODEL_ID,
        1,
        Disposition.Faulty,
      );
      await time.increase(60);
      const v1 = { version: 1, blobId: blobOf(MODEL_ID, 1) };
      const records = [
        makeRecord(f, rolledBackAt + 10n), // the stale node still serving v2
        makeRecord(f, rolledBackAt), // v2 at the rollback's second: v2's window is closed
        makeRecord(f, rolledBackAt + 10n, v1), // an up-to-date node serving v1
      ];
      const { batch } = await anchorBatch(connection, f, records);
      expect(await verify(f, batch, 0)).to.deep.equal(expected("NotLive", "VersionFaulty"));
      expect(await verify(f, batch, 1)).to.deep.equal(expected("NotLive", "VersionFaulty"));
      expect(await verify(f, batch, 2)).to.deep.equal(expected());
    });

    it("reports a backdated record of a rolled-back version as Unconfirmable with VersionFaulty", async function () {
      const f = await loadFixture();
      await time.increase(600);
      const rolledBackAt = await rollbackTo(
        f.registry,
        f.guardian,
        MODEL_ID,
        1,
        Disposition.Faulty,
      );
      await time.increase(60);
      // Claims v2 inside v2's window [v2LiveAt, rolledBackAt), but anchored after the rollback.
      const records = [makeRecord(f, rolledBackAt - 100n), makeRecord(f, rolledBackAt - 1n)];
      const { batch, anchoredAt } = await anchorBatch(connection, f, records);
      expect(anchoredAt).to.be.greaterThan(rolledBackAt);
      expect(await f.registry.versionAt(MODEL_ID, rolledBackAt - 1n)).to.equal(2n);
      for (let i = 0; i < records.length; i++) {
        expect(await verify(f, batch, i)).to.deep.equal(expected("Unconfirmable", "VersionFaulty"));
      }
    });

    it("reports Unconfirmable alone for a record whose version was replaced normally before anchoring", async function () {
      const f = await loadFixture();
      await (await f.registry.connect(f.governor).propose(MODEL_ID, 3)).wait();
      const { earliestActivation } = await f.registry.pendingProposal(MODEL_ID);
      await time.increaseTo(earliestActivation - 100n);
      const servedAt = (await now()) - 10n;
      await time.setNextBlockTimestamp(earliestActivation);
      await (await f.registry.activate(MODEL_ID)).wait();
      const { batch } = await anchorBatch(connection, f, [makeRecord(f, servedAt)]);
      expect(await f.registry.versionStatus(MODEL_ID, 2)).to.equal(VersionStatus.Retired);
      expect(await verify(f, batch, 0)).to.deep.equal(expected("Unconfirmable"));
    });

    it("reports VersionFaulty alone for a record anchored while its version was live, after a later rollback", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const { batch, anchoredAt } = await anchorBatch(connection, f, [makeRecord(f, t - 10n)]);
      await time.increase(60);
      expect(await verify(f, batch, 0)).to.deep.equal(expected());
      const rolledBackAt = await rollbackTo(
        f.registry,
        f.guardian,
        MODEL_ID,
        1,
        Disposition.Faulty,
      );
      expect(rolledBackAt).to.be.greaterThan(anchoredAt);
      expect(await verify(f, batch, 0)).to.deep.equal(expected("VersionFaulty"));
    });

    it("reports VersionWithdrawn for a record of a version withdrawn later, and keeps it beside VersionFaulty once escalated", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const { batch } = await anchorBatch(connection, f, [makeRecord(f, t - 10n)]);
      await time.increase(60);
      await rollbackTo(f.registry, f.guardian, MODEL_ID, 1, Disposition.Withdrawn);
      expect(await verify(f, batch, 0)).to.deep.equal(expected("VersionWithdrawn"));
      await (
        await f.registry
          .connect(f.guardian)
          .revoke(MODEL_ID, 2, Disposition.Faulty, REASON_HASH, REASON_URI)
      ).wait();
      expect(await verify(f, batch, 0)).to.deep.equal(
        expected("VersionFaulty", "VersionWithdrawn"),
      );
    });

    it("keeps VersionWithdrawn while the withdrawn version is proposed again, after the proposal expires and after it is cancelled", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const { batch } = await anchorBatch(connection, f, [makeRecord(f, t - 10n)]);
      await time.increase(60);
      await rollbackTo(f.registry, f.guardian, MODEL_ID, 1, Disposition.Withdrawn);
      const withdrawn = expected("VersionWithdrawn");
      expect(await verify(f, batch, 0)).to.deep.equal(withdrawn);
      await (await f.registry.connect(f.governor).propose(MODEL_ID, 2)).wait();
      expect(await f.registry.versionStatus(MODEL_ID, 2)).to.equal(VersionStatus.Proposed);
      expect(await verify(f, batch, 0)).to.deep.equal(withdrawn);
      await time.increase(10n * 24n * 3600n); // past the proposal's expiry, still Proposed
      expect(await verify(f, batch, 0)).to.deep.equal(withdrawn);
      await (await f.registry.connect(f.guardian).cancelProposal(MODEL_ID)).wait();
      expect(await verify(f, batch, 0)).to.deep.equal(withdrawn);
    });

    it("does not mark a record served after a Withdrawn version was promoted again, and keeps the marks of the first life", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const first = makeRecord(f, (await now()) - 10n);
      const { batch: firstBatch } = await anchorBatch(connection, f, [first]);
      await time.increase(60);
      await rollbackTo(f.registry, f.guardian, MODEL_ID, 1, Disposition.Withdrawn);
      await (await f.registry.connect(f.governor).propose(MODEL_ID, 2)).wait();
      await time.increase(24n * 3600n);
      await (await f.registry.activate(MODEL_ID)).wait();
      await time.increase(60);
      const second = makeRecord(f, (await now()) - 10n);
      const { batch: secondBatch } = await anchorBatch(connection, f, [second]);
      await time.increase(60);
      expect(await verify(f, secondBatch, 0)).to.deep.equal(expected());
      expect(await verify(f, firstBatch, 0)).to.deep.equal(expected("VersionWithdrawn"));
    });

    it("keeps UnknownVersion for a record naming a version registered only after its batch was anchored", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const record = makeRecord(f, (await now()) - 10n, {
        version: 4,
        blobId: blobOf(MODEL_ID, 4),
      });
      const { batch } = await anchorBatch(connection, f, [record]);
      await time.increase(60);
      expect(await verify(f, batch, 0)).to.deep.equal(expected("UnknownVersion", "NotLive"));
      await (
        await f.registry
          .connect(f.publisher)
          .registerVersion(
            MODEL_ID,
            blobOf(MODEL_ID, 4),
            id("weights:4"),
            "ipfs://v4",
            1,
            ZeroAddress,
          )
      ).wait();
      expect(await f.registry.versionCount(MODEL_ID)).to.equal(4n);
      expect(await verify(f, batch, 0)).to.deep.equal(expected("UnknownVersion", "NotLive"));
    });

    it("reports the records of a batch anchored while the model is paused after a rollback", async function () {
      const f = await loadFixture();
      await time.increase(600);
      const servedV2 = (await now()) - 10n;
      const rolledBackAt = await rollbackTo(
        f.registry,
        f.guardian,
        MODEL_ID,
        1,
        Disposition.Faulty,
      );
      await time.increase(60);
      const pausedAt = await minedAt(f.registry.connect(f.guardian).pause(MODEL_ID));
      await time.increase(60);
      const v1 = { version: 1, blobId: blobOf(MODEL_ID, 1) };
      const records = [
        makeRecord(f, servedV2), // v2 while it was live: window closed before anchoring
        makeRecord(f, rolledBackAt + 5n), // v2 after the rollback: the stale node
        makeRecord(f, rolledBackAt + 5n, v1), // v1 live, but paused before anchoring
        makeRecord(f, pausedAt + 5n, v1), // v1 during the pause: nothing was live
      ];
      const { batch } = await anchorBatch(connection, f, records);
      expect((await f.registry.live(MODEL_ID)).paused).to.equal(true);
      const wanted: StandingName[][] = [
        ["Unconfirmable", "VersionFaulty"],
        ["NotLive", "VersionFaulty"],
        ["Unconfirmable"],
        ["NotLive"],
      ];
      for (const [i, standings] of wanted.entries()) {
        expect(await verify(f, batch, i), `record ${i}`).to.deep.equal(expected(...standings));
      }
    });

    it("reverts with AnchorUnknownBatch for a root the record's node did not anchor for the model", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      // Anchored for another model (by that model's node) only.
      const { batch } = await anchorBatch(connection, f, [makeRecord(f, t - 10n)], {
        modelId: OTHER_MODEL_ID,
        operator: f.otherNode,
      });
      const record = batch.records[0];
      await expect(f.anchor.verifyRecord(MODEL_ID, batch.root, record, batch.proof(0)))
        .to.be.revertedWithCustomError(f.anchor, "AnchorUnknownBatch")
        .withArgs(MODEL_ID, f.node.address, batch.root);
      await expect(f.anchor.verifyRecordWithHint(MODEL_ID, batch.root, record, batch.proof(0), 2))
        .to.be.revertedWithCustomError(f.anchor, "AnchorUnknownBatch")
        .withArgs(MODEL_ID, f.node.address, batch.root);
    });

    it("judges a record only against the batch of the node it names, never a copy by another node", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const records = [makeRecord(f, t - 30n), makeRecord(f, t - 20n)];
      const { batch } = await anchorBatch(connection, f, records);
      await time.increase(600);
      // Another node re-anchors the same root later, with a range that excludes the records.
      await anchorBatch(connection, f, records, {
        operator: f.secondNode,
        first: t - 5n,
        last: t - 5n,
      });
      for (let i = 0; i < records.length; i++) {
        expect(await verify(f, batch, i), `record ${i}`).to.deep.equal(expected());
      }
      // Disputing the copy says nothing of the original node's records.
      await (
        await f.anchor
          .connect(f.guardian)
          .disputeBatch(MODEL_ID, f.secondNode.address, batch.root, REASON_HASH, REASON_URI)
      ).wait();
      expect(await verify(f, batch, 0)).to.deep.equal(expected());
    });

    it("cannot vouch for another node's records: they are looked up under the node they name", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const foreign = makeRecord(f, t - 10n, { node: f.secondNode.address });
      const { batch } = await anchorBatch(connection, f, [makeRecord(f, t - 20n), foreign]);
      await expect(f.anchor.verifyRecord(MODEL_ID, batch.root, foreign, batch.proof(1)))
        .to.be.revertedWithCustomError(f.anchor, "AnchorUnknownBatch")
        .withArgs(MODEL_ID, f.secondNode.address, batch.root);
      expect(await verify(f, batch, 0)).to.deep.equal(expected());
    });

    it("reports every problem of a record as a flag and the most severe as its primary standing", async function () {
      const f = await loadFixture();
      await time.increase(600);
      const rolledBackAt = await rollbackTo(
        f.registry,
        f.guardian,
        MODEL_ID,
        1,
        Disposition.Faulty,
      );
      await time.increase(60);
      const base = rolledBackAt + 20n;
      const problems = {
        format: 7,
        modelId: OTHER_MODEL_ID,
        blobId: blobOf(MODEL_ID, 1),
        proofPath: Path.OPTIMISTIC,
      };
      const records = [
        // Stale (NotLive) and outside the range, with every field-level problem.
        makeRecord(f, rolledBackAt + 5n, problems),
        // The same without the format problem: WrongModel comes first.
        makeRecord(f, rolledBackAt + 5n, { ...problems, format: 1 }),
        // An unknown version: no blob, path or status checks apply.
        makeRecord(f, base, { version: 99, modelId: OTHER_MODEL_ID }),
        // Backdated into v2's window and outside the range: Unconfirmable after the range flag.
        makeRecord(f, rolledBackAt - 30n),
        makeRecord(f, base + 1n),
      ];
      const { batch } = await anchorBatch(connection, f, records, { first: base, last: base + 1n });
      await (
        await f.anchor
          .connect(f.guardian)
          .disputeBatch(MODEL_ID, f.node.address, batch.root, REASON_HASH, REASON_URI)
      ).wait();
      const wanted: StandingName[][] = [
        [
          "UnknownFormat",
          "WrongModel",
          "WrongBlob",
          "ProofPathNotAllowed",
          "OutsideBatchRange",
          "NotLive",
          "VersionFaulty",
          "BatchDisputed",
        ],
        [
          "WrongModel",
          "WrongBlob",
          "ProofPathNotAllowed",
          "OutsideBatchRange",
          "NotLive",
          "VersionFaulty",
          "BatchDisputed",
        ],
        ["WrongModel", "UnknownVersion", "NotLive", "BatchDisputed"],
        ["OutsideBatchRange", "Unconfirmable", "VersionFaulty", "BatchDisputed"],
        ["NotLive", "VersionFaulty", "BatchDisputed"],
      ];
      const primaries = [
        Standing.UnknownFormat,
        Standing.WrongModel,
        Standing.WrongModel,
        Standing.OutsideBatchRange,
        Standing.NotLive,
      ];
      for (const [i, standings] of wanted.entries()) {
        const verdict = await verify(f, batch, i);
        expect(verdict, `record ${i}`).to.deep.equal(expected(...standings));
        expect(verdict[2], `record ${i}`).to.equal(primaries[i]);
        expect(primaryOf(flagsOf(...standings))).to.equal(primaries[i]);
      }
    });

    it("reports Unconfirmable when the version's window closed in the anchoring block, after the anchor", async function () {
      // The window [v2LiveAt, rolledBackAt) closes at the anchoring time itself: "at or before".
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const batch = new Batch([makeRecord(f, t - 10n)]);
      const at = t + 10n;
      const order = await inOneBlock(connection, at, [
        () =>
          f.anchor
            .connect(f.node)
            .anchor(MODEL_ID, batch.root, 1, t - 10n, t - 10n, FILE_REF, { gasLimit: 300_000 }),
        () =>
          sendRollback(f.registry, f.guardian, MODEL_ID, 1, Disposition.Withdrawn, {
            gasLimit: 1_000_000,
          }),
      ]);
      expect(order[0]).to.be.lessThan(order[1]);
      const anchored = await f.anchor.getBatch(MODEL_ID, f.node.address, batch.root);
      const closed = await f.registry.getEpoch(
        MODEL_ID,
        await f.registry.epochAt(MODEL_ID, t - 10n),
      );
      expect([anchored.anchoredAt, closed.endTime]).to.deep.equal([at, at]);
      expect(await verify(f, batch, 0)).to.deep.equal(
        expected("Unconfirmable", "VersionWithdrawn"),
      );
    });
  });

  describe("verifyRecordWithHint", function () {
    it("gives the same result as verifyRecord with the correct hint, in live windows and gaps", async function () {
      const f = await loadFixture();
      await time.increase(600);
      const servedV2 = (await now()) - 10n;
      const rolledBackAt = await rollbackTo(
        f.registry,
        f.guardian,
        MODEL_ID,
        1,
        Disposition.Faulty,
      );
      await time.increase(60);
      const pausedAt = await minedAt(f.registry.connect(f.guardian).pause(MODEL_ID));
      await time.increase(60);
      const v1 = { version: 1, blobId: blobOf(MODEL_ID, 1) };
      const records = [
        makeRecord(f, servedV2),
        makeRecord(f, rolledBackAt + 5n),
        makeRecord(f, rolledBackAt + 5n, v1),
        makeRecord(f, pausedAt + 5n, v1), // a gap: the hint is the last epoch before it
        makeRecord(f, f.v1LiveAt - 10n, v1), // before the first epoch (outside the range)
      ];
      const { batch } = await anchorBatch(connection, f, records, {
        first: servedV2,
        last: pausedAt + 5n,
      });
      for (let i = 0; i < records.length; i++) {
        const servedAt = BigInt(records[i].servedAt);
        const hint = await hintFor(f, servedAt);
        const live = await f.registry.epochAt(MODEL_ID, servedAt);
        if (live !== 0n) expect(hint, `record ${i}`).to.equal(live);
        expect(await verifyWithHint(f, batch, i, hint), `record ${i}`).to.deep.equal(
          await verify(f, batch, i),
        );
      }
      expect(await hintFor(f, BigInt(records[4].servedAt))).to.equal(0n);
    });

    it("reverts with the registry's ModelRegistryBadEpochHint for a wrong hint", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const { batch } = await anchorBatch(connection, f, [makeRecord(f, t - 10n)]);
      const servedAt = BigInt(batch.records[0].servedAt);
      const correct = await hintFor(f, servedAt);
      expect(await verifyWithHint(f, batch, 0, correct)).to.deep.equal(expected());
      const count = await f.registry.epochCount(MODEL_ID);
      for (const hint of [0n, correct - 1n, correct + 1n, count + 5n]) {
        if (hint === correct) continue;
        await expect(verifyWithHint(f, batch, 0, hint), `hint ${hint}`)
          .to.be.revertedWithCustomError(f.registry, "ModelRegistryBadEpochHint")
          .withArgs(MODEL_ID, servedAt, hint);
      }
    });
  });

  describe("verifyRecords", function () {
    async function mixedBatch(f: AnchorFixture) {
      await time.increase(60);
      const t = await now();
      const records = [
        makeRecord(f, t - 40n),
        makeRecord(f, t - 39n, { blobId: blobOf(MODEL_ID, 1) }),
        makeRecord(f, t - 38n, { proofPath: Path.OPTIMISTIC }),
        makeRecord(f, t - 37n, { version: 3, blobId: blobOf(MODEL_ID, 3) }),
        makeRecord(f, t - 36n, { modelId: OTHER_MODEL_ID }),
        makeRecord(f, t - 35n, { format: 9 }),
        makeRecord(f, t - 34n),
      ];
      const wanted: StandingName[][] = [
        [],
        ["WrongBlob"],
        ["ProofPathNotAllowed"],
        ["NotLive"],
        ["WrongModel"],
        ["UnknownFormat"],
        [],
      ];
      const { batch } = await anchorBatch(connection, f, records);
      return { batch, wanted };
    }

    /** verifyRecords over the multiproof of `indices`, with the records in the multiproof's order. */
    async function verifyMany(f: AnchorFixture, batch: Batch, indices: number[]) {
      const multi = batch.tree.getMultiProof(indices);
      const records = multi.leaves.map(recordFromValues);
      const [included, flags, primary] = await f.anchor.verifyRecords(
        MODEL_ID,
        batch.root,
        records,
        multi.proof,
        multi.proofFlags,
      );
      return { records, included, flags: [...flags], primary: [...primary], multi };
    }

    /** The position in `batch.records` of a record taken from a multiproof. */
    function indexOf(batch: Batch, r: InferenceRecord): number {
      return batch.records.findIndex((x) => x.requestId === r.requestId);
    }

    it("verifies several records with one multiproof and reports each record's own flags", async function () {
      const f = await loadFixture();
      const { batch, wanted } = await mixedBatch(f);
      for (const indices of [[0, 2, 3, 5], [6], [1, 4], batch.records.map((_, i) => i)]) {
        const { records, included, flags, primary } = await verifyMany(f, batch, indices);
        expect(included).to.equal(true);
        expect(records.map((r) => indexOf(batch, r)).sort()).to.deep.equal([...indices].sort());
        for (const [j, r] of records.entries()) {
          const i = indexOf(batch, r);
          const [, oneFlags, onePrimary] = expected(...wanted[i]);
          expect([flags[j], primary[j]], `record ${i}`).to.deep.equal([oneFlags, onePrimary]);
          const single = await verify(f, batch, i);
          expect([flags[j], primary[j]], `record ${i}`).to.deep.equal([single[1], single[2]]);
        }
      }
    });

    it("reports the history of each record after a rollback", async function () {
      const f = await loadFixture();
      const { batch, wanted } = await mixedBatch(f);
      await time.increase(60);
      await rollbackTo(f.registry, f.guardian, MODEL_ID, 1, Disposition.Faulty);
      const { records, included, flags } = await verifyMany(f, batch, [0, 1, 3]);
      expect(included).to.equal(true);
      for (const [j, r] of records.entries()) {
        const i = indexOf(batch, r);
        // v2's records gain VersionFaulty; v3 (never live) is not Faulty.
        const faulty: StandingName[] = r.version === 2 ? ["VersionFaulty"] : [];
        expect(flags[j], `record ${i}`).to.equal(flagsOf(...wanted[i], ...faulty));
      }
    });

    it("reports every record NotIncluded when the multiproof fails", async function () {
      const f = await loadFixture();
      const { batch } = await mixedBatch(f);
      const other = (await mixedBatch(f)).batch;
      const multi = batch.tree.getMultiProof([0, 2, 3]);
      const records = multi.leaves.map(recordFromValues);
      const cases: Array<[string, string, InferenceRecord[]]> = [
        [
          "a tampered record",
          batch.root,
          records.map((r, j) => (j === 1 ? tampered(r, "outputHash") : r)),
        ],
        ["the root of another batch", other.root, records],
      ];
      for (const [name, root, variant] of cases) {
        const [included, flags, primary] = await f.anchor.verifyRecords(
          MODEL_ID,
          root,
          variant,
          multi.proof,
          multi.proofFlags,
        );
        expect(included, name).to.equal(false);
        expect([...flags], name).to.deep.equal(variant.map(() => flagsOf("NotIncluded")));
        expect([...primary], name).to.deep.equal(variant.map(() => Standing.NotIncluded));
      }
    });

    it("reports every record NotIncluded for the leaves of a multiproof in another order", async function () {
      const f = await loadFixture();
      const { batch } = await mixedBatch(f);
      const multi = batch.tree.getMultiProof([0, 2, 3]);
      const records = multi.leaves.map(recordFromValues).reverse();
      const [included, flags, primary] = await f.anchor.verifyRecords(
        MODEL_ID,
        batch.root,
        records,
        multi.proof,
        multi.proofFlags,
      );
      expect(included).to.equal(false);
      expect([...flags]).to.deep.equal(records.map(() => flagsOf("NotIncluded")));
      expect([...primary]).to.deep.equal(records.map(() => Standing.NotIncluded));
    });

    it("reverts with MerkleProofInvalidMultiproof for a multiproof whose flags do not match its leaves and proof", async function () {
      const f = await loadFixture();
      const { batch } = await mixedBatch(f);
      const multi = batch.tree.getMultiProof([0, 2, 3]);
      const records = multi.leaves.map(recordFromValues);
      for (const proofFlags of [multi.proofFlags.slice(1), [...multi.proofFlags, true]]) {
        await expect(
          f.anchor.verifyRecords(MODEL_ID, batch.root, records, multi.proof, proofFlags),
        ).to.be.revertedWithCustomError(f.anchor, "MerkleProofInvalidMultiproof");
      }
    });

    it("rejects records that name several nodes with AnchorMixedNodes", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const records = [
        makeRecord(f, t - 20n),
        makeRecord(f, t - 19n, { node: f.secondNode.address }),
        makeRecord(f, t - 18n),
      ];
      const { batch } = await anchorBatch(connection, f, records);
      const multi = batch.tree.getMultiProof([0, 1, 2]);
      const ordered = multi.leaves.map(recordFromValues);
      const first = ordered[0].node;
      const other = ordered.find((r) => r.node !== first)!.node;
      await expect(
        f.anchor.verifyRecords(MODEL_ID, batch.root, ordered, multi.proof, multi.proofFlags),
      )
        .to.be.revertedWithCustomError(f.anchor, "AnchorMixedNodes")
        .withArgs(first, other);
    });

    it("rejects an empty list of records, even when the root is the proof's only node", async function () {
      const f = await loadFixture();
      const { batch } = await mixedBatch(f);
      for (const proof of [[], [batch.root]]) {
        await expect(
          f.anchor.verifyRecords(MODEL_ID, batch.root, [], proof, []),
        ).to.be.revertedWithCustomError(f.anchor, "AnchorEmptyLeaves");
      }
    });

    it("reverts with AnchorUnknownBatch for a root not anchored for the model", async function () {
      const f = await loadFixture();
      const { batch } = await mixedBatch(f);
      const multi = batch.tree.getMultiProof([0]);
      await expect(
        f.anchor.verifyRecords(
          OTHER_MODEL_ID,
          batch.root,
          multi.leaves.map(recordFromValues),
          multi.proof,
          multi.proofFlags,
        ),
      )
        .to.be.revertedWithCustomError(f.anchor, "AnchorUnknownBatch")
        .withArgs(OTHER_MODEL_ID, f.node.address, batch.root);
    });
  });
});
