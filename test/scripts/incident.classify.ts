/**
 * The off-chain standings of the incident report (src/incident/classify.ts) equal the
 * contract's: random histories of every registry action (register, propose, activate, cancel,
 * rollback and revoke as Faulty or Withdrawn, pause, resume, time) and anchor action (batches of
 * random records: right or wrong version, weights, model, format, proof path, declared range;
 * disputes), then every anchored record classified off-chain from one registry snapshot and
 * verified on-chain with `verifyRecord`: the flags must be identical, record by record.
 */
import { expect } from "chai";
import { ZeroAddress, id, type ContractTransactionResponse } from "ethers";
import { network } from "hardhat";

import {
  classifyRecord,
  epochAtOffChain,
  readRegistrySnapshot,
} from "../../src/incident/classify.js";
import {
  Disposition,
  MODEL_ID,
  OTHER_MODEL_ID,
  REASON_HASH,
  REASON_URI,
  blobOf,
  deployAnchor,
  inOneBlock,
  makeRecord,
  anchorBatch,
  sendRollback,
  type AnchorFixture,
} from "../helpers/anchor-fixture.js";
import { Batch } from "../helpers/batch.js";
import { decodeFlags } from "../../src/records/standing.js";

const connection = await network.create();
const { networkHelpers } = connection;

/** Every flag some compared record carried, over all histories (the comparison's reach). */
const seen = new Set<string>();

async function anchorFixture(): Promise<AnchorFixture> {
  return deployAnchor(connection);
}

/** A small seeded PRNG (mulberry32): the same seed replays the same history. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function attempt(send: () => Promise<ContractTransactionResponse>): Promise<boolean> {
  try {
    await (await send()).wait();
    return true;
  } catch {
    return false; // reverts are part of a random history
  }
}

/** Plays `steps` random actions on the fixture; returns the anchored batches. */
async function randomHistory(f: AnchorFixture, seed: number, steps: number): Promise<Batch[]> {
  const rand = prng(seed);
  const pick = (n: number) => Math.floor(rand() * n);
  const { registry, anchor, governor, guardian, publisher } = f;
  const batches: Batch[] = [];
  const now = async () => BigInt(await networkHelpers.time.latest());
  for (let step = 0; step < steps; step++) {
    const count = Number(await registry.versionCount(MODEL_ID));
    const anyVersion = () => 1 + pick(count + 1); // one past the last: unregistered
    const disposition = rand() < 0.5 ? Disposition.Faulty : Disposition.Withdrawn;
    switch (pick(12)) {
      case 0:
        await attempt(() =>
          registry
            .connect(publisher)
            .registerVersion(
              MODEL_ID,
              blobOf(MODEL_ID, count + 1),
              id(`w${seed}:${count + 1}`),
              "ipfs://v",
              1 + pick(15),
              ZeroAddress,
            ),
        );
        break;
      case 1:
        await attempt(() => registry.connect(governor).propose(MODEL_ID, anyVersion()));
        break;
      case 2: {
        const p = await registry.pendingProposal(MODEL_ID);
        if (p.version !== 0n && (await now()) < p.earliestActivation) {
          await networkHelpers.time.increaseTo(p.earliestActivation);
        }
        await attempt(() => registry.activate(MODEL_ID));
        break;
      }
      case 3:
        await attempt(() => registry.connect(governor).cancelProposal(MODEL_ID));
        break;
      case 4:
        await attempt(() => sendRollback(registry, guardian, MODEL_ID, anyVersion(), disposition));
        break;
      case 5:
        await attempt(() =>
          registry
            .connect(guardian)
            .revoke(MODEL_ID, anyVersion(), disposition, REASON_HASH, REASON_URI),
        );
        break;
      case 6:
        await attempt(() =>
          rand() < 0.5
            ? registry.connect(guardian).pause(MODEL_ID)
            : registry.connect(guardian).resume(MODEL_ID),
        );
        break;
      case 7:
        await networkHelpers.time.increase(1 + pick(7200));
        break;
      case 8:
        if (batches.length > 0) {
          const b = batches[pick(batches.length)];
          await attempt(() =>
            anchor
              .connect(guardian)
              .disputeBatch(MODEL_ID, f.node.address, b.root, id(`d${step}`), ""),
          );
        }
        break;
      case 9: {
        // A takedown and an anchoring in one block: the window ends at the anchoring second.
        const at = (await now()) + 5n;
        const version = Number(await registry.currentVersion(MODEL_ID));
        if (version === 0) break;
        const records = [
          makeRecord(f, Number(at) - 2, { version, blobId: blobOf(MODEL_ID, version) }),
        ];
        const tree = new Batch(records);
        const target = 1 + pick(count);
        const sends = [
          () =>
            anchor
              .connect(f.node)
              .anchor(MODEL_ID, tree.root, 1, records[0].servedAt, records[0].servedAt, id("f"), {
                gasLimit: 500_000,
              }),
          () =>
            sendRollback(registry, guardian, MODEL_ID, target, disposition, {
              gasLimit: 2_000_000,
            }),
        ];
        try {
          await inOneBlock(connection, at, rand() < 0.5 ? sends : sends.reverse());
        } catch {
          // a reverted rollback (no valid target) or anchoring: part of the history
        }
        const got = await anchor.getBatch(MODEL_ID, f.node.address, tree.root);
        if (got.anchoredAt !== 0n) batches.push(new Batch(records, got.anchoredAt, tree.tree));
        break;
      }
      default: {
        // A batch of random records, served within the last hours, some exactly at a boundary
        // of the history (an epoch's start or end, a withdrawal).
        const t = Number(await now());
        const epochs = Number(await registry.epochCount(MODEL_ID));
        const boundaries: number[] = [];
        for (let e = 1; e <= epochs; e++) {
          const ep = await registry.getEpoch(MODEL_ID, e);
          boundaries.push(Number(ep.startTime), Number(ep.endTime));
        }
        for (let v = 1; v <= count; v++) {
          boundaries.push(Number((await registry.getVersion(MODEL_ID, v)).withdrawnAt));
        }
        const usable = boundaries.filter((b) => b > t - 6 * 3600 && b < t);
        const servedAt = () =>
          usable.length > 0 && rand() < 0.4 ? usable[pick(usable.length)] : t - 1 - pick(6 * 3600);
        const records = Array.from({ length: 1 + pick(4) }, () => {
          const version = anyVersion();
          return makeRecord(f, servedAt(), {
            version,
            blobId: rand() < 0.85 ? blobOf(MODEL_ID, version) : id(`wrong${step}`),
            proofPath: pick(5),
            format: rand() < 0.95 ? 1 : 2,
            modelId: rand() < 0.95 ? MODEL_ID : OTHER_MODEL_ID,
          });
        });
        const served = records.map((r) => r.servedAt);
        const narrow = rand() < 0.2; // a declared range that leaves one record outside
        try {
          const { batch } = await anchorBatch(connection, f, records, {
            first: Math.min(...served) + (narrow ? 1 : 0),
            last: Math.max(...served),
          });
          batches.push(batch);
        } catch {
          // a reversed declared range, or a duplicate root: reverts are part of the history
        }
      }
    }
  }
  await networkHelpers.time.increase(1 + pick(3600));
  return batches;
}

describe("incident report: off-chain standings equal the contract's", function () {
  after(async function () {
    await connection.close();
  });

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`random history ${seed}: every anchored record classified off-chain as verifyRecord answers`, async function () {
      this.timeout(120_000);
      const f = await networkHelpers.loadFixture(anchorFixture);
      const batches = await randomHistory(f, seed, 120);
      const block = await connection.ethers.provider.getBlockNumber();
      const snap = await readRegistrySnapshot(f.registry, MODEL_ID, block);
      let compared = 0;
      for (const b of batches) {
        const onChain = await f.anchor.getBatch(MODEL_ID, f.node.address, b.root);
        const facts = {
          modelId: MODEL_ID,
          anchoredAt: Number(onChain.anchoredAt),
          firstServedAt: Number(onChain.firstServedAt),
          lastServedAt: Number(onChain.lastServedAt),
          disputeCount: Number(onChain.disputeCount),
        };
        for (const [i, r] of b.records.entries()) {
          const [included, flags] = await f.anchor.verifyRecord(MODEL_ID, b.root, r, b.proof(i));
          expect(included).to.equal(true);
          const off = classifyRecord(snap, facts, r);
          expect(off.flags, `seed ${seed}, batch ${b.root}, record ${i}`).to.equal(flags);
          for (const name of decodeFlags(flags)) seen.add(name);
          if (r.servedAt < facts.anchoredAt) {
            expect(off.liveVersionThen).to.equal(
              Number(await f.registry.versionAt(MODEL_ID, r.servedAt)),
            );
          }
          compared++;
        }
      }
      expect(compared).to.be.greaterThan(15);
    });
  }

  it("the histories reached every standing flag a record in a verified batch can carry", function () {
    expect([...seen].sort()).to.deep.equal(
      [
        "BatchDisputed",
        "NotLive",
        "OutsideBatchRange",
        "ProofPathNotAllowed",
        "Unconfirmable",
        "UnknownFormat",
        "UnknownVersion",
        "VersionFaulty",
        "VersionWithdrawn",
        "WrongBlob",
        "WrongModel",
      ].sort(),
    );
  });

  it("epochAt off-chain equals the registry's at every second around every epoch boundary", async function () {
    const f = await networkHelpers.loadFixture(anchorFixture);
    await randomHistory(f, 99, 60);
    const block = await connection.ethers.provider.getBlockNumber();
    const snap = await readRegistrySnapshot(f.registry, MODEL_ID, block);
    const latest = Number(await networkHelpers.time.latest());
    const points = new Set<number>();
    for (const e of snap.epochs) {
      for (const t of [e.start - 1, e.start, e.start + 1, e.end ?? latest - 1]) {
        if (t >= 0 && t < latest) points.add(t);
        if (e.end !== null && e.end - 1 >= 0) points.add(e.end - 1);
      }
    }
    expect(snap.epochs.length).to.be.greaterThan(2);
    for (const t of points) {
      expect(epochAtOffChain(snap, t).epoch, `t = ${t}`).to.equal(
        Number(await f.registry.epochAt(MODEL_ID, t)),
      );
    }
  });
});
