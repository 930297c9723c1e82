import { expect } from "chai";
import { network } from "hardhat";

import {
  Disposition,
  EndReason,
  MODEL_ID,
  OTHER_MODEL_ID,
  REASON_HASH,
  REASON_URI,
  VersionStatus,
  closedEpoch,
  epochRecord,
  epochViews,
  mined,
  openEpoch,
  registryActions,
  type EpochViewRecord,
} from "./helpers/registry-actions.js";
import { deployRegistry } from "./helpers/registry-fixture.js";

const connection = await network.getOrCreate();
const { networkHelpers } = connection;

/** Explicit gas for transactions mined together (nothing is estimated against a pending block). */
const GAS = { gasLimit: 1_000_000 };
const UINT32_MAX = 2n ** 32n - 1n;

/** The deployed registry with MODEL_ID created and versions 1 to 3 registered. */
async function fixture() {
  const f = await deployRegistry(connection);
  await (await f.registry.connect(f.governor).createModel(MODEL_ID, [f.publisher.address])).wait();
  const act = registryActions(connection, f);
  await act.register(MODEL_ID, 3);
  return { ...f, act };
}

function loadFixture() {
  return networkHelpers.loadFixture(fixture);
}

/** Mines an empty block so that everything so far is strictly in the past. */
async function settle(): Promise<bigint> {
  await networkHelpers.mine();
  return BigInt(await networkHelpers.time.latest());
}

describe("ModelRegistry history", function () {
  describe("epochAt and versionAt", function () {
    it("return 0 for a model without history and for times before the first epoch", async function () {
      const { registry, act } = await loadFixture();
      let now = await settle();
      expect(await registry.epochAt(MODEL_ID, now - 1n)).to.equal(0n);
      expect(await registry.versionAt(MODEL_ID, now - 1n)).to.equal(0n);
      expect(await registry.epochAt(OTHER_MODEL_ID, now - 1n)).to.equal(0n);

      const first = await act.promote(MODEL_ID, 1n);
      now = await settle();
      const t1 = first.activated.timestamp;
      for (const t of [0n, t1 - 1n]) {
        expect(await registry.epochAt(MODEL_ID, t)).to.equal(0n);
        expect(await registry.versionAt(MODEL_ID, t)).to.equal(0n);
      }
      expect(await registry.epochAt(MODEL_ID, now - 1n)).to.equal(1n);
      expect(await registry.epochAt(OTHER_MODEL_ID, now - 1n)).to.equal(0n);
    });

    it("treat windows as half-open: the start belongs to the epoch, the end to the next state", async function () {
      const { registry, act } = await loadFixture();
      const [first, second] = await act.promoteAll(MODEL_ID, [1n, 2n]);
      const now = await settle();
      const t1 = first.activated.timestamp;
      const t2 = second.activated.timestamp;
      const expected: Array<[bigint, bigint, bigint]> = [
        [t1, 1n, 1n],
        [t1 + 1n, 1n, 1n],
        [t2 - 1n, 1n, 1n],
        [t2, 2n, 2n],
        [now - 1n, 2n, 2n],
      ];
      for (const [t, epoch, version] of expected) {
        expect(await registry.epochAt(MODEL_ID, t)).to.equal(epoch);
        expect(await registry.versionAt(MODEL_ID, t)).to.equal(version);
      }
    });

    it("return 0 while the model was paused and the new epoch from the resume on", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.promote(MODEL_ID, 1n);
      const paused = await mined(registry.connect(guardian).pause(MODEL_ID));
      await act.nextBlockAt(paused.timestamp + 3600n);
      const resumed = await mined(registry.connect(guardian).resume(MODEL_ID));
      await settle();
      const expected: Array<[bigint, bigint, bigint]> = [
        [paused.timestamp - 1n, 1n, 1n],
        [paused.timestamp, 0n, 0n],
        [resumed.timestamp - 1n, 0n, 0n],
        [resumed.timestamp, 2n, 1n],
      ];
      for (const [t, epoch, version] of expected) {
        expect(await registry.epochAt(MODEL_ID, t)).to.equal(epoch);
        expect(await registry.versionAt(MODEL_ID, t)).to.equal(version);
      }
    });

    it("return 0 from the revocation of the live version on", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.promote(MODEL_ID, 1n);
      const revoked = await mined(
        registry.connect(guardian).revoke(MODEL_ID, 1, Disposition.Faulty, REASON_HASH, REASON_URI),
      );
      const now = await settle();
      expect(await registry.epochAt(MODEL_ID, revoked.timestamp - 1n)).to.equal(1n);
      expect(await registry.epochAt(MODEL_ID, revoked.timestamp)).to.equal(0n);
      expect(await registry.versionAt(MODEL_ID, revoked.timestamp)).to.equal(0n);
      expect(await registry.versionAt(MODEL_ID, now - 1n)).to.equal(0n);
    });

    it("answer only for past times: the current timestamp and later revert", async function () {
      const { registry, act } = await loadFixture();
      await act.promote(MODEL_ID, 1n);
      const now = await settle();
      for (const t of [now, now + 1n, 2n ** 48n - 1n]) {
        await expect(registry.epochAt(MODEL_ID, t))
          .to.be.revertedWithCustomError(registry, "ModelRegistryFutureLookup")
          .withArgs(t, now);
        await expect(registry.versionAt(MODEL_ID, t))
          .to.be.revertedWithCustomError(registry, "ModelRegistryFutureLookup")
          .withArgs(t, now);
        await expect(registry.epochAtWithHint(MODEL_ID, t, 1))
          .to.be.revertedWithCustomError(registry, "ModelRegistryFutureLookup")
          .withArgs(t, now);
      }
      expect(await registry.epochAt(MODEL_ID, now - 1n)).to.equal(1n);
    });

    it("tell which version served a request made during v2's window after v2 was rolled back as Faulty", async function () {
      const { registry, guardian, act } = await loadFixture();
      const [first, second] = await act.promoteAll(MODEL_ID, [1n, 2n]);
      const v2Start = second.activated.timestamp;
      const requestTime = v2Start + 3600n;
      await act.nextBlockAt(v2Start + 2n * 3600n);
      const rolledBack = await mined(
        registry
          .connect(guardian)
          .rollback(MODEL_ID, 2, 1, Disposition.Faulty, REASON_HASH, REASON_URI),
      );
      await settle();

      // Today v1 is live again and v2 is Faulty since the rollback...
      expect(await registry.live(MODEL_ID)).to.deep.equal([1n, 3n, false]);
      expect(await registry.faultyAt(MODEL_ID, 2)).to.equal(rolledBack.timestamp);
      // ...but the history still says that v2 served the request.
      expect(await registry.versionAt(MODEL_ID, requestTime)).to.equal(2n);
      expect(await registry.epochAt(MODEL_ID, requestTime)).to.equal(2n);
      expect(await registry.epochAtWithHint(MODEL_ID, requestTime, 2)).to.deep.equal([
        2n,
        2n,
        rolledBack.timestamp,
      ]);
      // The incident references exactly that window.
      const [incidentId] = await registry.incidentsOfVersion(MODEL_ID, 2, 0, 1);
      const incident = await registry.getIncident(incidentId);
      expect([incident.version, incident.target, incident.disposition]).to.deep.equal([
        2n,
        1n,
        Disposition.Faulty,
      ]);
      const windows = epochViews(await registry.incidentWindows(incidentId, 0, 10));
      expect(windows).to.deep.equal([
        { id: 2n, epoch: closedEpoch(2n, second.activated, rolledBack, EndReason.Rollback) },
      ]);
      const [{ epoch: window }] = windows;
      expect(window.startTime <= requestTime && requestTime < window.endTime).to.equal(true);
      // Requests before and after v2's window were served by v1.
      expect(await registry.versionAt(MODEL_ID, first.activated.timestamp)).to.equal(1n);
      expect(await registry.versionAt(MODEL_ID, v2Start - 1n)).to.equal(1n);
      expect(await registry.versionAt(MODEL_ID, rolledBack.timestamp)).to.equal(1n);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Active);
    });
  });

  describe("several changes in one block", function () {
    it("keeps every epoch of the block; the one opened and closed in it has start == end and epochAt gives the last state", async function () {
      const { registry, guardian, act } = await loadFixture();
      const first = await act.promote(MODEL_ID, 1n);
      await act.propose(MODEL_ID, 2n);
      const { earliestActivation } = await registry.pendingProposal(MODEL_ID);
      const guard = registry.connect(guardian);
      const block = await act.inOneBlock(earliestActivation, [
        () => guard.activate(MODEL_ID, GAS),
        () => guard.rollback(MODEL_ID, 2, 1, Disposition.Faulty, REASON_HASH, REASON_URI, GAS),
      ]);
      await settle();
      const t = block.timestamp;
      expect(t).to.equal(earliestActivation);

      expect(await registry.epochCount(MODEL_ID)).to.equal(3n);
      expect(epochViews(await registry.epochs(MODEL_ID, 0, 10))).to.deep.equal([
        { id: 1n, epoch: closedEpoch(1n, first.activated, block, EndReason.Promotion) },
        { id: 2n, epoch: closedEpoch(2n, block, block, EndReason.Rollback) },
        { id: 3n, epoch: openEpoch(1n, block) },
      ]);
      expect(await registry.epochAt(MODEL_ID, t - 1n)).to.equal(1n);
      expect(await registry.epochAt(MODEL_ID, t)).to.equal(3n);
      expect(await registry.versionAt(MODEL_ID, t)).to.equal(1n);
      await expect(registry.epochAtWithHint(MODEL_ID, t, 2))
        .to.be.revertedWithCustomError(registry, "ModelRegistryBadEpochHint")
        .withArgs(MODEL_ID, t, 2n);
      expect(await registry.epochAtWithHint(MODEL_ID, t, 3)).to.deep.equal([3n, 1n, 0n]);

      // v2 was live for no time at all, yet it is Faulty and its incident references the window.
      expect(await registry.windowCount(MODEL_ID, 2)).to.equal(1n);
      expect((await registry.getIncident(1)).windowCount).to.equal(1n);
      expect(epochViews(await registry.incidentWindows(1, 0, 10))).to.deep.equal([
        { id: 2n, epoch: closedEpoch(2n, block, block, EndReason.Rollback) },
      ]);
    });

    it("leaves the version live without a gap after a pause and a resume in one block", async function () {
      const { registry, guardian, act } = await loadFixture();
      const first = await act.promote(MODEL_ID, 1n);
      const guard = registry.connect(guardian);
      const block = await act.inOneBlock(first.activated.timestamp + 3600n, [
        () => guard.pause(MODEL_ID, GAS),
        () => guard.resume(MODEL_ID, GAS),
      ]);
      await settle();
      const t = block.timestamp;
      expect(epochViews(await registry.epochs(MODEL_ID, 0, 10))).to.deep.equal([
        { id: 1n, epoch: closedEpoch(1n, first.activated, block, EndReason.Pause) },
        { id: 2n, epoch: openEpoch(1n, block) },
      ]);
      expect(await registry.epochAt(MODEL_ID, t - 1n)).to.equal(1n);
      expect(await registry.epochAt(MODEL_ID, t)).to.equal(2n);
      expect(await registry.versionAt(MODEL_ID, t)).to.equal(1n);
      await expect(registry.epochAtWithHint(MODEL_ID, t, 1))
        .to.be.revertedWithCustomError(registry, "ModelRegistryBadEpochHint")
        .withArgs(MODEL_ID, t, 1n);
      expect(await registry.epochAtWithHint(MODEL_ID, t, 2)).to.deep.equal([2n, 1n, 0n]);
      expect(await registry.live(MODEL_ID)).to.deep.equal([1n, 2n, false]);
    });

    it("records an activation revoked in the same block as never live: nothing is live at that time", async function () {
      const { registry, guardian, act } = await loadFixture();
      const first = await act.promote(MODEL_ID, 1n);
      await act.propose(MODEL_ID, 2n);
      const { earliestActivation } = await registry.pendingProposal(MODEL_ID);
      const guard = registry.connect(guardian);
      const block = await act.inOneBlock(earliestActivation, [
        () => guard.activate(MODEL_ID, GAS),
        () => guard.revoke(MODEL_ID, 2, Disposition.Faulty, REASON_HASH, REASON_URI, GAS),
      ]);
      await settle();
      const t = block.timestamp;
      expect(epochViews(await registry.epochs(MODEL_ID, 0, 10))).to.deep.equal([
        { id: 1n, epoch: closedEpoch(1n, first.activated, block, EndReason.Promotion) },
        { id: 2n, epoch: closedEpoch(2n, block, block, EndReason.Revoke) },
      ]);
      expect(await registry.epochAt(MODEL_ID, t - 1n)).to.equal(1n);
      expect(await registry.epochAt(MODEL_ID, t)).to.equal(0n);
      expect(await registry.versionAt(MODEL_ID, t)).to.equal(0n);
      // The zero-length epoch is the last one opened: it is the hint of the gap.
      expect(await registry.epochAtWithHint(MODEL_ID, t, 2)).to.deep.equal([0n, 0n, 0n]);
      await expect(registry.epochAtWithHint(MODEL_ID, t, 1))
        .to.be.revertedWithCustomError(registry, "ModelRegistryBadEpochHint")
        .withArgs(MODEL_ID, t, 1n);
      expect(await registry.live(MODEL_ID)).to.deep.equal([0n, 0n, false]);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Retired);
    });
  });

  describe("epochAtWithHint at the second of a zero-length epoch (opened at or before t)", function () {
    it("takes the zero-length epoch of a resume and a pause in one block inside a pause as the hint for that second", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.promote(MODEL_ID, 1n); // epoch 1
      const guard = registry.connect(guardian);
      await (await guard.pause(MODEL_ID)).wait(); // ends epoch 1
      const paused = BigInt((await registry.getEpoch(MODEL_ID, 1)).endTime);
      const block = await act.inOneBlock(paused + 600n, [
        () => guard.resume(MODEL_ID, GAS), // opens epoch 2 at T
        () => guard.pause(MODEL_ID, GAS), // and closes it at T
      ]);
      await settle();
      const t = block.timestamp;
      const e2 = await registry.getEpoch(MODEL_ID, 2);
      expect([e2.startTime, e2.endTime]).to.deep.equal([t, t]);
      expect(await registry.epochAtWithHint(MODEL_ID, t, 2)).to.deep.equal([0n, 0n, 0n]);
      await expect(registry.epochAtWithHint(MODEL_ID, t, 1))
        .to.be.revertedWithCustomError(registry, "ModelRegistryBadEpochHint")
        .withArgs(MODEL_ID, t, 1n);
      // One second earlier the zero-length epoch had not opened: epoch 1 is the hint.
      expect(await registry.epochAtWithHint(MODEL_ID, t - 1n, 1)).to.deep.equal([0n, 0n, 0n]);
      await expect(registry.epochAtWithHint(MODEL_ID, t - 1n, 2))
        .to.be.revertedWithCustomError(registry, "ModelRegistryBadEpochHint")
        .withArgs(MODEL_ID, t - 1n, 2n);
    });

    it("takes a first epoch opened and closed at T as the hint for T, not 0", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.propose(MODEL_ID, 1n);
      const { earliestActivation } = await registry.pendingProposal(MODEL_ID);
      const guard = registry.connect(guardian);
      const block = await act.inOneBlock(earliestActivation, [
        () => guard.activate(MODEL_ID, GAS),
        () => guard.pause(MODEL_ID, GAS),
      ]);
      await settle();
      const t = block.timestamp;
      expect(await registry.epochAtWithHint(MODEL_ID, t, 1)).to.deep.equal([0n, 0n, 0n]);
      await expect(registry.epochAtWithHint(MODEL_ID, t, 0))
        .to.be.revertedWithCustomError(registry, "ModelRegistryBadEpochHint")
        .withArgs(MODEL_ID, t, 0n);
      expect(await registry.epochAtWithHint(MODEL_ID, t - 1n, 0)).to.deep.equal([0n, 0n, 0n]);
    });
  });

  describe("epochAtWithHint", function () {
    /** e1 v1 | e2 v2 | pause gap | e3 v2 (rolled back) | e4 v1 (open). */
    async function history() {
      const f = await loadFixture();
      const { registry, guardian, act } = f;
      const guard = registry.connect(guardian);
      const [first, second] = await act.promoteAll(MODEL_ID, [1n, 2n]);
      await act.nextBlockAt(second.activated.timestamp + 3600n);
      const paused = await mined(guard.pause(MODEL_ID));
      await act.nextBlockAt(paused.timestamp + 3600n);
      const resumed = await mined(guard.resume(MODEL_ID));
      await act.nextBlockAt(resumed.timestamp + 3600n);
      const rolledBack = await mined(
        guard.rollback(MODEL_ID, 2, 1, Disposition.Faulty, REASON_HASH, REASON_URI),
      );
      const now = await settle();
      return {
        ...f,
        now,
        t1: first.activated.timestamp,
        t2: second.activated.timestamp,
        tPause: paused.timestamp,
        tResume: resumed.timestamp,
        tRollback: rolledBack.timestamp,
      };
    }

    it("returns the epoch, its version and its end time for the epoch live at the time", async function () {
      const { registry, now, t1, t2, tPause, tResume, tRollback } = await history();
      const cases: Array<[bigint, bigint, [bigint, bigint, bigint]]> = [
        [t1, 1n, [1n, 1n, t2]],
        [t2 - 1n, 1n, [1n, 1n, t2]],
        [t2, 2n, [2n, 2n, tPause]],
        [tPause - 1n, 2n, [2n, 2n, tPause]],
        [tResume, 3n, [3n, 2n, tRollback]],
        [tRollback, 4n, [4n, 1n, 0n]],
        [now - 1n, 4n, [4n, 1n, 0n]],
      ];
      for (const [t, hint, expected] of cases) {
        expect(await registry.epochAtWithHint(MODEL_ID, t, hint)).to.deep.equal(expected);
        expect(await registry.epochAt(MODEL_ID, t)).to.equal(expected[0]);
      }
    });

    it("accepts the last epoch before a gap as the hint for a time when nothing was live", async function () {
      const { registry, tPause, tResume } = await history();
      for (const t of [tPause, tPause + 1n, tResume - 1n]) {
        expect(await registry.epochAtWithHint(MODEL_ID, t, 2)).to.deep.equal([0n, 0n, 0n]);
        expect(await registry.epochAt(MODEL_ID, t)).to.equal(0n);
      }
    });

    it("accepts hint 0 for a time before the first epoch and for a model without epochs", async function () {
      const { registry, now, t1 } = await history();
      expect(await registry.epochAtWithHint(MODEL_ID, t1 - 1n, 0)).to.deep.equal([0n, 0n, 0n]);
      expect(await registry.epochAtWithHint(MODEL_ID, 0, 0)).to.deep.equal([0n, 0n, 0n]);
      expect(await registry.epochAtWithHint(OTHER_MODEL_ID, now - 1n, 0)).to.deep.equal([
        0n,
        0n,
        0n,
      ]);
    });

    it("rejects a hint whose epoch opened after the time", async function () {
      const { registry, t1, tResume, tRollback } = await history();
      const cases: Array<[bigint, bigint]> = [
        [t1, 2n],
        [tResume - 1n, 3n],
        [tResume, 4n],
        [tRollback - 1n, 4n],
      ];
      for (const [t, hint] of cases) {
        await expect(registry.epochAtWithHint(MODEL_ID, t, hint))
          .to.be.revertedWithCustomError(registry, "ModelRegistryBadEpochHint")
          .withArgs(MODEL_ID, t, hint);
      }
    });

    it("rejects a hint whose epoch had ended when a later epoch had already opened", async function () {
      const { registry, now, t2, tPause, tResume, tRollback } = await history();
      const cases: Array<[bigint, bigint]> = [
        [t2, 1n],
        [tPause, 1n],
        [tResume, 2n],
        [tRollback, 3n],
        [now - 1n, 1n],
      ];
      for (const [t, hint] of cases) {
        await expect(registry.epochAtWithHint(MODEL_ID, t, hint))
          .to.be.revertedWithCustomError(registry, "ModelRegistryBadEpochHint")
          .withArgs(MODEL_ID, t, hint);
      }
    });

    it("rejects hint 0 for a time after the first epoch opened, live or in a gap", async function () {
      const { registry, t1, tPause } = await history();
      for (const t of [t1, tPause]) {
        await expect(registry.epochAtWithHint(MODEL_ID, t, 0))
          .to.be.revertedWithCustomError(registry, "ModelRegistryBadEpochHint")
          .withArgs(MODEL_ID, t, 0n);
      }
    });

    it("rejects an unknown epoch id, including an epoch id of another model", async function () {
      const { registry, now, t1 } = await history();
      for (const hint of [5n, 6n, UINT32_MAX]) {
        await expect(registry.epochAtWithHint(MODEL_ID, now - 1n, hint))
          .to.be.revertedWithCustomError(registry, "ModelRegistryBadEpochHint")
          .withArgs(MODEL_ID, now - 1n, hint);
      }
      await expect(registry.epochAtWithHint(OTHER_MODEL_ID, t1, 1))
        .to.be.revertedWithCustomError(registry, "ModelRegistryBadEpochHint")
        .withArgs(OTHER_MODEL_ID, t1, 1n);
    });

    it("accepts exactly one hint around every epoch boundary, the one epochAt implies", async function () {
      const { registry, guardian, governor, act } = await loadFixture();
      const guard = registry.connect(guardian);
      // e1 v1, e2 v2, pause gap, e3 v2, e4 v2 (pause + resume in one block), e5 v3 activated and
      // rolled back in one block (zero length), e6 v2, revoke gap, e7 v1.
      const [, second] = await act.promoteAll(MODEL_ID, [1n, 2n]);
      await act.nextBlockAt(second.activated.timestamp + 100n);
      const paused = await mined(guard.pause(MODEL_ID));
      await act.nextBlockAt(paused.timestamp + 100n);
      const resumed = await mined(guard.resume(MODEL_ID));
      await act.inOneBlock(resumed.timestamp + 100n, [
        () => guard.pause(MODEL_ID, GAS),
        () => guard.resume(MODEL_ID, GAS),
      ]);
      await act.propose(MODEL_ID, 3n);
      const { earliestActivation } = await registry.pendingProposal(MODEL_ID);
      const block = await act.inOneBlock(earliestActivation, [
        () => guard.activate(MODEL_ID, GAS),
        () => guard.rollback(MODEL_ID, 3, 2, Disposition.Withdrawn, REASON_HASH, REASON_URI, GAS),
      ]);
      await act.nextBlockAt(block.timestamp + 100n);
      await guard.revoke(MODEL_ID, 2, Disposition.Faulty, REASON_HASH, REASON_URI);
      await registry.connect(governor).propose(MODEL_ID, 1);
      await act.nextBlockAt((await registry.pendingProposal(MODEL_ID)).earliestActivation);
      await registry.activate(MODEL_ID);
      const now = await settle();

      const count = await registry.epochCount(MODEL_ID);
      expect(count).to.equal(7n);
      const list: EpochViewRecord[] = epochViews(await registry.epochs(MODEL_ID, 0, count));
      expect(list.map((v) => v.epoch.version)).to.deep.equal([1n, 2n, 2n, 2n, 3n, 2n, 1n]);
      expect(list[4].epoch.startTime).to.equal(list[4].epoch.endTime);

      const times = new Set<bigint>();
      for (const { epoch } of list) {
        for (const edge of [epoch.startTime, epoch.endTime]) {
          if (edge === 0n) continue;
          for (const t of [edge - 1n, edge, edge + 1n]) if (t < now) times.add(t);
        }
      }
      let gaps = 0;
      for (const t of [...times].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
        const live = await registry.epochAt(MODEL_ID, t);
        const lastOpened = list.filter((v) => v.epoch.startTime <= t).at(-1)?.id ?? 0n;
        const validHint = live !== 0n ? live : lastOpened;
        if (live === 0n) gaps++;
        for (let hint = 0n; hint <= count + 1n; hint++) {
          if (hint === validHint) {
            const expected =
              live === 0n
                ? [0n, 0n, 0n]
                : [
                    live,
                    list[Number(live) - 1].epoch.version,
                    list[Number(live) - 1].epoch.endTime,
                  ];
            expect(await registry.epochAtWithHint(MODEL_ID, t, hint)).to.deep.equal(expected);
            expect(await registry.versionAt(MODEL_ID, t)).to.equal(expected[1]);
          } else {
            await expect(registry.epochAtWithHint(MODEL_ID, t, hint))
              .to.be.revertedWithCustomError(registry, "ModelRegistryBadEpochHint")
              .withArgs(MODEL_ID, t, hint);
          }
        }
      }
      // The sweep covered gaps as well as live times.
      expect(gaps).to.be.greaterThan(0);
      expect(gaps).to.be.lessThan(times.size);
    });
  });

  describe("epoch records", function () {
    it("keep their start and end times and blocks for each way an epoch ends", async function () {
      const { registry, guardian, act } = await loadFixture();
      const guard = registry.connect(guardian);
      const [first, second] = await act.promoteAll(MODEL_ID, [1n, 2n]);
      const paused = await mined(guard.pause(MODEL_ID));
      const resumed = await mined(guard.resume(MODEL_ID));
      const rolledBack = await mined(
        guard.rollback(MODEL_ID, 2, 1, Disposition.Withdrawn, REASON_HASH, REASON_URI),
      );
      const revoked = await mined(
        guard.revoke(MODEL_ID, 1, Disposition.Faulty, REASON_HASH, REASON_URI),
      );
      const expected = [
        closedEpoch(1n, first.activated, second.activated, EndReason.Promotion),
        closedEpoch(2n, second.activated, paused, EndReason.Pause),
        closedEpoch(2n, resumed, rolledBack, EndReason.Rollback),
        closedEpoch(1n, rolledBack, revoked, EndReason.Revoke),
      ];
      for (const [i, epoch] of expected.entries()) {
        expect(epochRecord(await registry.getEpoch(MODEL_ID, i + 1))).to.deep.equal(epoch);
      }
    });
  });
});
