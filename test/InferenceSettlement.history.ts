import { expect } from "chai";
import { network } from "hardhat";

import {
  Disposition,
  HOLD_PERIOD,
  MODEL_ID,
  RefundReason,
  SettlementState,
  anchorLater,
  anchorRecords,
  deploySettlement,
  flagsOf,
  pauseModel,
  recordFor,
  resumeModel,
  revokeVersion,
  rollbackTo,
  servedAfter,
  settle,
  type Batch,
  type Settlement,
  type SettlementFixture,
} from "./helpers/settlement-fixture.js";

/*
 * Judgements about a past payment never flip: the regressions (a)-(d) of the review, each a
 * governance act that used to change the answer of `prove` or `challenge` for the same record.
 */

const connection = await network.getOrCreate();
const { networkHelpers } = connection;
const { time } = networkHelpers;

function settlementFixture(): Promise<SettlementFixture> {
  return deploySettlement(connection);
}

function load(): Promise<SettlementFixture> {
  return networkHelpers.loadFixture(settlementFixture);
}

function prove(f: SettlementFixture, s: Settlement, batch: Batch, index = 0) {
  return f.settlement
    .connect(f.payee)
    .prove(s.details, batch.root, batch.records[index], batch.proof(index));
}

function challenge(f: SettlementFixture, s: Settlement, batch: Batch, index = 0) {
  return f.settlement
    .connect(f.payer)
    .challenge(s.details, batch.root, batch.records[index], batch.proof(index), f.payer.address);
}

/** The Refunded event's arguments of `s` refunded to its payer, for `reason` with `flags`. */
function refundedToPayer(f: SettlementFixture, s: Settlement, reason: bigint, flags: bigint) {
  return [s.id, f.payer.address, f.payer.address, s.details.amount, reason, flags] as const;
}

async function contested(f: SettlementFixture): Promise<Settlement> {
  const s = await settle(f, { version: 2, epoch: 2 });
  await (await f.settlement.connect(f.payer).contest(s.details)).wait();
  return s;
}

/** The governor proposes `version` again (a Withdrawn version may be). */
async function repropose(f: SettlementFixture, version: number): Promise<void> {
  await (await f.registry.connect(f.governor).propose(MODEL_ID, version)).wait();
}

async function cancelProposal(f: SettlementFixture): Promise<void> {
  await (await f.registry.connect(f.guardian).cancelProposal(MODEL_ID)).wait();
}

describe("InferenceSettlement: judgements from facts written once", function () {
  it("(a) keeps refusing a stale node's proof after pause, Withdrawn rollback, re-proposal and cancellation; the payer takes it back", async function () {
    const f = await load();
    const s = await contested(f);
    await pauseModel(f); // ends epoch 2 by Pause
    const rolledBackAt = await rollbackTo(f, 1, Disposition.Withdrawn);
    const stale = await anchorLater(f, [recordFor(s.details, rolledBackAt + 1n)]);
    const refused = flagsOf("NotLive");
    await expect(prove(f, s, stale))
      .to.be.revertedWithCustomError(f.settlement, "SettlementRecordNotConforming")
      .withArgs(s.id, refused);
    await repropose(f, 2);
    await expect(prove(f, s, stale))
      .to.be.revertedWithCustomError(f.settlement, "SettlementRecordNotConforming")
      .withArgs(s.id, refused);
    await cancelProposal(f);
    await expect(prove(f, s, stale))
      .to.be.revertedWithCustomError(f.settlement, "SettlementRecordNotConforming")
      .withArgs(s.id, refused);
    expect(await f.settlement.stateOf(s.id)).to.equal(SettlementState.Contested);
    await time.increaseTo(s.details.releaseAt + HOLD_PERIOD);
    await expect(f.settlement.connect(f.payer).refundUnproven(s.details, f.payer.address))
      .to.emit(f.settlement, "Refunded")
      .withArgs(...refundedToPayer(f, s, RefundReason.Unproven, 0n));
  });

  it("(b) refunds the challenge of the stale record after a re-proposal exactly as before it", async function () {
    const f = await load();
    const s = await settle(f, { version: 2, epoch: 2 });
    await pauseModel(f);
    const rolledBackAt = await rollbackTo(f, 1, Disposition.Withdrawn);
    const stale = await anchorLater(f, [recordFor(s.details, rolledBackAt + 1n)]);
    const record = stale.records[0]!;
    await f.settlement
      .connect(f.payer)
      .challenge.staticCall(s.details, stale.root, record, stale.proof(0), f.payer.address);
    await repropose(f, 2);
    await expect(challenge(f, s, stale))
      .to.emit(f.settlement, "Refunded")
      .withArgs(...refundedToPayer(f, s, RefundReason.Challenge, flagsOf("NotLive")));
  });

  it("(c) an honest record anchored during a routine pause stays conforming when the version is withdrawn from a later epoch", async function () {
    const f = await load();
    const s = await settle(f, { version: 2, epoch: 2 });
    const record = servedAfter(s, 5n);
    await time.increase(30);
    await pauseModel(f); // routine: ends epoch 2
    const honest = await anchorLater(f, [record]); // Unconfirmable: anchored after the close
    await expect(challenge(f, s, honest))
      .to.be.revertedWithCustomError(f.settlement, "SettlementRecordConforms")
      .withArgs(s.id, flagsOf("Unconfirmable"));
    await resumeModel(f); // epoch 3, v2 again
    await time.increase(60);
    await rollbackTo(f, 1, Disposition.Withdrawn); // takes v2 down from epoch 3
    expect(await f.registry.takenDownAt(MODEL_ID, 2)).to.equal(0n);
    await expect(challenge(f, s, honest))
      .to.be.revertedWithCustomError(f.settlement, "SettlementRecordConforms")
      .withArgs(s.id, flagsOf("Unconfirmable", "VersionWithdrawn"));
  });

  it("(d) a contested payee proves after release although the version was marked Faulty after release; refund stays refused", async function () {
    const f = await load();
    const s = await contested(f);
    const record = servedAfter(s, 5n);
    await time.increase(30);
    await pauseModel(f); // routine: ends epoch 2
    const batch = await anchorLater(f, [record]);
    await resumeModel(f); // epoch 3
    await time.increaseTo(s.details.releaseAt + 10n);
    const markedAt = await revokeVersion(f, 2, Disposition.Faulty);
    await expect(f.settlement.connect(f.payer).refund(s.details, f.payer.address))
      .to.be.revertedWithCustomError(f.settlement, "SettlementNotRefundable")
      .withArgs(s.id, markedAt, s.details.releaseAt);
    await expect(prove(f, s, batch))
      .to.emit(f.settlement, "Proven")
      .withArgs(s.id, batch.root, record.servedAt);
    await time.increaseTo(s.details.releaseAt + HOLD_PERIOD);
    await expect(
      f.settlement.connect(f.payer).refundUnproven(s.details, f.payer.address),
    ).to.be.revertedWithCustomError(f.settlement, "SettlementNotContested");
    await expect(f.settlement.connect(f.payee).claim(s.details, f.payee.address))
      .to.emit(f.settlement, "Claimed")
      .withArgs(s.id, f.payee.address, f.payee.address, s.details.amount);
  });

  it("counts a takedown during the pause only for records anchored at or after it", async function () {
    const f = await load();
    const s = await settle(f, { version: 2, epoch: 2 });
    const before = servedAfter(s, 5n);
    const after = servedAfter(s, 6n);
    await time.increase(30);
    await pauseModel(f);
    const early = await anchorLater(f, [before]); // anchored during the pause, before the takedown
    await time.increase(60);
    const takenDownAt = await rollbackTo(f, 1, Disposition.Withdrawn);
    expect(await f.registry.takenDownAt(MODEL_ID, 2)).to.equal(takenDownAt);
    const late = await anchorRecords(f, [after]);
    await expect(challenge(f, s, early))
      .to.be.revertedWithCustomError(f.settlement, "SettlementRecordConforms")
      .withArgs(s.id, flagsOf("Unconfirmable", "VersionWithdrawn"));
    await expect(challenge(f, s, late))
      .to.emit(f.settlement, "Refunded")
      .withArgs(
        ...refundedToPayer(
          f,
          s,
          RefundReason.Challenge,
          flagsOf("Unconfirmable", "VersionWithdrawn"),
        ),
      );
  });

  it("takenDownAt: the end of an epoch a rollback or revoke ended, the takedown time of one a pause ended, else 0", async function () {
    const f = await load();
    expect(await f.registry.takenDownAt(MODEL_ID, 1)).to.equal(0n); // ended by promotion
    expect(await f.registry.takenDownAt(MODEL_ID, 2)).to.equal(0n); // open
    const rolledBackAt = await rollbackTo(f, 1, Disposition.Withdrawn);
    expect(await f.registry.takenDownAt(MODEL_ID, 2)).to.equal(rolledBackAt);
    await time.increase(60);
    await pauseModel(f); // ends epoch 3 (v1)
    await resumeModel(f); // epoch 4
    expect(await f.registry.takenDownAt(MODEL_ID, 3)).to.equal(0n);
    const revokedAt = await revokeVersion(f, 1, Disposition.Withdrawn);
    expect(await f.registry.takenDownAt(MODEL_ID, 4)).to.equal(revokedAt);
    expect(await f.registry.takenDownAt(MODEL_ID, 3)).to.equal(0n);
    expect(await f.registry.takenDownAt(MODEL_ID, 99)).to.equal(0n);
  });
});
