import { expect } from "chai";
import { ZeroAddress, ZeroHash } from "ethers";
import { network } from "hardhat";

import {
  AMOUNT,
  DAY,
  Disposition,
  HOLD_PERIOD,
  MODEL_ID,
  OTHER_MODEL_ID,
  RefundReason,
  SettlementState,
  UNKNOWN_MODEL_ID,
  deploySettlement,
  settledArgs,
  minedAt,
  nextRequestId,
  pauseModel,
  promote,
  resumeModel,
  revokeVersion,
  rollbackTo,
  settle,
  settleTx,
  settlementIdOf,
  type SettlementDetails,
  type SettlementFixture,
} from "./helpers/settlement-fixture.js";

const connection = await network.getOrCreate();
const { ethers, networkHelpers } = connection;
const { time } = networkHelpers;

function settlementFixture(): Promise<SettlementFixture> {
  return deploySettlement(connection);
}

function load(): Promise<SettlementFixture> {
  return networkHelpers.loadFixture(settlementFixture);
}

/** The volume of (model, epoch, token) as a plain object. */
async function volumeOf(f: SettlementFixture, epoch: bigint, token: string, modelId = MODEL_ID) {
  const v = await f.settlement.volume(modelId, epoch, token);
  return {
    settledCount: v.settledCount,
    settledAmount: v.settledAmount,
    refundedCount: v.refundedCount,
    refundedAmount: v.refundedAmount,
  };
}

/** Each field of `d` changed in turn: no such settlement exists. */
function tamperedCopies(d: SettlementDetails, stranger: string): SettlementDetails[] {
  return [
    { ...d, payer: stranger },
    { ...d, requestId: nextRequestId() },
    { ...d, modelId: OTHER_MODEL_ID },
    { ...d, version: d.version + 1n },
    { ...d, epoch: d.epoch + 1n },
    { ...d, payee: stranger },
    { ...d, token: stranger },
    { ...d, amount: d.amount + 1n },
    { ...d, settledAt: d.settledAt - 1n },
    { ...d, releaseAt: d.releaseAt - 1n },
  ];
}

describe("InferenceSettlement", function () {
  describe("deployment", function () {
    it("stores the registry, the anchor, the authority and the hold period", async function () {
      const f = await load();
      expect(await f.settlement.registry()).to.equal(await f.registry.getAddress());
      expect(await f.settlement.anchor()).to.equal(await f.anchor.getAddress());
      expect(await f.settlement.authority()).to.equal(await f.manager.getAddress());
      expect(await f.settlement.holdPeriod()).to.equal(HOLD_PERIOD);
      expect(await f.settlement.MAX_HOLD_PERIOD()).to.equal(90n * DAY);
    });

    it("rejects an initial hold period above the maximum and accepts zero and the maximum", async function () {
      const f = await load();
      const args: [string, string, string, string] = [
        await f.manager.getAddress(),
        await f.registry.getAddress(),
        await f.anchor.getAddress(),
        await f.routing.getAddress(),
      ];
      const max = await f.settlement.MAX_HOLD_PERIOD();
      const factory = await ethers.getContractFactory("InferenceSettlement");
      await expect(factory.deploy(...args, max + 1n))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidHoldPeriod")
        .withArgs(max + 1n, max);
      for (const period of [0n, max]) {
        const deployed = await ethers.deployContract("InferenceSettlement", [...args, period]);
        expect(await deployed.getFunction("holdPeriod")()).to.equal(period);
      }
    });
  });

  describe("settle", function () {
    it("escrows the payment under the live version and epoch and emits Settled with the full details", async function () {
      const f = await load();
      const requestId = nextRequestId();
      const token = await f.token.getAddress();
      const expectedId = settlementIdOf(f.payer.address, requestId);
      expect(await f.settlement.settlementIdOf(f.payer.address, requestId)).to.equal(expectedId);
      expect(
        await f.settlement
          .connect(f.payer)
          .settle.staticCall(
            MODEL_ID,
            2,
            2,
            f.payee.address,
            token,
            AMOUNT,
            requestId,
            HOLD_PERIOD,
          ),
      ).to.equal(expectedId);

      const tx = settleTx(f, { version: 2, epoch: 2, requestId });
      await expect(tx).to.changeTokenBalances(
        ethers,
        f.token,
        [f.payer, f.settlement],
        [-AMOUNT, AMOUNT],
      );
      const settledAt = await minedAt(tx);
      const details: SettlementDetails = {
        payer: f.payer.address,
        requestId,
        modelId: MODEL_ID,
        version: 2n,
        epoch: 2n,
        payee: f.payee.address,
        token,
        amount: AMOUNT,
        settledAt,
        releaseAt: settledAt + HOLD_PERIOD,
      };
      await expect(tx)
        .to.emit(f.settlement, "Settled")
        .withArgs(...settledArgs(expectedId, details));
      expect(await f.settlement.stateOf(expectedId)).to.equal(SettlementState.Open);
    });

    it("binds the live epoch whether the caller expects that epoch or none", async function () {
      const f = await load();
      await pauseModel(f);
      await resumeModel(f); // v2 again, in epoch 3
      const withEpoch = await settle(f, { version: 2, epoch: 3 });
      const withoutEpoch = await settle(f, { version: 2, epoch: 0 });
      for (const { details } of [withEpoch, withoutEpoch]) {
        expect(details.version).to.equal(2n);
        expect(details.epoch).to.equal(3n);
      }
    });

    it("reports an unknown settlement as state None", async function () {
      const f = await load();
      expect(await f.settlement.stateOf(ZeroHash)).to.equal(SettlementState.None);
      expect(await f.settlement.stateOf(settlementIdOf(f.payer.address, nextRequestId()))).to.equal(
        SettlementState.None,
      );
    });

    it("reverts with VersionBoundVersionMismatch when another version than the expected one is live", async function () {
      const f = await load();
      for (const expected of [1n, 3n]) {
        await expect(settleTx(f, { version: expected }))
          .to.be.revertedWithCustomError(f.settlement, "VersionBoundVersionMismatch")
          .withArgs(MODEL_ID, expected, 2n);
      }
      // A rollback landing before the payer's transaction: the payment is not bound to v1.
      await rollbackTo(f, 1, Disposition.Faulty);
      await expect(settleTx(f, { version: 2, epoch: 2 }))
        .to.be.revertedWithCustomError(f.settlement, "VersionBoundVersionMismatch")
        .withArgs(MODEL_ID, 2n, 1n);
    });

    it("reverts with VersionBoundEpochMismatch when the expected version is live in another epoch", async function () {
      const f = await load();
      await expect(settleTx(f, { version: 2, epoch: 1 }))
        .to.be.revertedWithCustomError(f.settlement, "VersionBoundEpochMismatch")
        .withArgs(MODEL_ID, 1n, 2n);
      await pauseModel(f);
      await resumeModel(f); // the same version re-activated is a new epoch
      await expect(settleTx(f, { version: 2, epoch: 2 }))
        .to.be.revertedWithCustomError(f.settlement, "VersionBoundEpochMismatch")
        .withArgs(MODEL_ID, 2n, 3n);
    });

    it("reverts with VersionBoundModelPaused while the model is paused", async function () {
      const f = await load();
      await pauseModel(f);
      for (const [version, epoch] of [
        [2n, 0n],
        [2n, 2n],
        [1n, 0n],
      ]) {
        await expect(settleTx(f, { version, epoch }))
          .to.be.revertedWithCustomError(f.settlement, "VersionBoundModelPaused")
          .withArgs(MODEL_ID);
      }
    });

    it("reverts with VersionBoundNothingLive before the first activation, after the live version is revoked, and for an unknown model", async function () {
      const f = await load();
      for (const modelId of [OTHER_MODEL_ID, UNKNOWN_MODEL_ID]) {
        await expect(settleTx(f, { modelId, version: 1 }))
          .to.be.revertedWithCustomError(f.settlement, "VersionBoundNothingLive")
          .withArgs(modelId);
      }
      await revokeVersion(f, 2, Disposition.Faulty);
      await expect(settleTx(f, { version: 2 }))
        .to.be.revertedWithCustomError(f.settlement, "VersionBoundNothingLive")
        .withArgs(MODEL_ID);
    });

    it("reverts with SettlementZeroArgument for a zero payee or a zero amount", async function () {
      const f = await load();
      await expect(settleTx(f, { payee: ZeroAddress })).to.be.revertedWithCustomError(
        f.settlement,
        "SettlementZeroArgument",
      );
      await expect(settleTx(f, { amount: 0n })).to.be.revertedWithCustomError(
        f.settlement,
        "SettlementZeroArgument",
      );
    });

    it("reverts with SettlementExists when the payer settles the same request id twice", async function () {
      const f = await load();
      const { id, details } = await settle(f);
      await expect(settleTx(f, { requestId: details.requestId }))
        .to.be.revertedWithCustomError(f.settlement, "SettlementExists")
        .withArgs(id);
      // Even once the first settlement is closed: ids are never reused.
      await time.increaseTo(details.releaseAt);
      await (await f.settlement.connect(f.payee).claim(details, f.payee.address)).wait();
      await expect(settleTx(f, { requestId: details.requestId }))
        .to.be.revertedWithCustomError(f.settlement, "SettlementExists")
        .withArgs(id);
    });

    it("keys settlements by payer, so a squatter of the request id neither blocks nor touches the payer's settlement", async function () {
      const f = await load();
      const requestId = nextRequestId();
      const squat = await settle(f, { payer: f.otherPayer, requestId, payee: f.stranger.address });
      const own = await settle(f, { requestId });
      expect(squat.id).to.equal(settlementIdOf(f.otherPayer.address, requestId));
      expect(own.id).to.equal(settlementIdOf(f.payer.address, requestId));
      expect(own.id).to.not.equal(squat.id);
      expect(await f.settlement.stateOf(own.id)).to.equal(SettlementState.Open);

      // The squatter cannot refund, challenge or redirect the payer's settlement...
      await rollbackTo(f, 1, Disposition.Faulty);
      await expect(f.settlement.connect(f.otherPayer).refund(own.details, f.otherPayer.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementUnauthorized")
        .withArgs(own.id, f.otherPayer.address);
      await expect(
        f.settlement
          .connect(f.otherPayer)
          .refund({ ...own.details, payer: f.otherPayer.address }, f.otherPayer.address),
      )
        .to.be.revertedWithCustomError(f.settlement, "SettlementUnknown")
        .withArgs(squat.id);
      // ...and each payer gets back exactly its own payment.
      await expect(
        f.settlement.connect(f.payer).refund(own.details, f.payer.address),
      ).to.changeTokenBalances(ethers, f.token, [f.payer, f.otherPayer], [AMOUNT, 0n]);
      expect(await f.settlement.stateOf(squat.id)).to.equal(SettlementState.Open);
    });

    it("reverts with SettlementVolumeOverflow when the epoch's total would leave 168 bits, and accepts up to it", async function () {
      const f = await load();
      const max = 2n ** 168n - 1n;
      await (await f.token.mint(f.payer.address, max)).wait();
      const token = await f.token.getAddress();
      await expect(settleTx(f, { amount: 2n ** 168n }))
        .to.be.revertedWithCustomError(f.settlement, "SettlementVolumeOverflow")
        .withArgs(MODEL_ID, 2n, token);
      await (await settleTx(f, { amount: max - AMOUNT })).wait();
      await (await settleTx(f, { amount: AMOUNT })).wait(); // exactly 2^168 - 1 in all
      await expect(settleTx(f, { amount: 1n }))
        .to.be.revertedWithCustomError(f.settlement, "SettlementVolumeOverflow")
        .withArgs(MODEL_ID, 2n, token);
      expect((await volumeOf(f, 2n, token)).settledAmount).to.equal(max);
    });

    it("reverts for a token address without code", async function () {
      const f = await load();
      const noCode = { getAddress: async () => f.stranger.address };
      await expect(settleTx(f, { token: noCode }))
        .to.be.revertedWithCustomError(f.settlement, "SettlementTokenUnreadable")
        .withArgs(f.stranger.address);
      expect(await ethers.provider.getCode(f.stranger.address)).to.equal("0x");
    });

    it("reverts with the token's error when the payer has not approved the settlement", async function () {
      const f = await load();
      await (await f.token.mint(f.stranger.address, AMOUNT)).wait();
      await expect(settleTx(f, { payer: f.stranger }))
        .to.be.revertedWithCustomError(f.token, "ERC20InsufficientAllowance")
        .withArgs(await f.settlement.getAddress(), 0n, AMOUNT);
    });
  });

  describe("claim", function () {
    it("pays the payee's chosen recipient from releaseAt on and emits Claimed", async function () {
      const f = await load();
      const { id, details } = await settle(f);
      await time.setNextBlockTimestamp(details.releaseAt);
      const tx = f.settlement.connect(f.payee).claim(details, f.recipient.address);
      await expect(tx).to.changeTokenBalances(
        ethers,
        f.token,
        [f.settlement, f.recipient, f.payee, f.payer],
        [-AMOUNT, AMOUNT, 0n, 0n],
      );
      await expect(tx)
        .to.emit(f.settlement, "Claimed")
        .withArgs(id, f.payee.address, f.recipient.address, AMOUNT);
      expect(await minedAt(tx)).to.equal(details.releaseAt);
      expect(await f.settlement.stateOf(id)).to.equal(SettlementState.Claimed);
    });

    it("reverts with SettlementNotReleased before releaseAt", async function () {
      const f = await load();
      const { id, details } = await settle(f);
      await expect(f.settlement.connect(f.payee).claim(details, f.payee.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotReleased")
        .withArgs(id, details.releaseAt);
      await time.increaseTo(details.releaseAt - 2n);
      await time.setNextBlockTimestamp(details.releaseAt - 1n);
      await expect(f.settlement.connect(f.payee).claim(details, f.payee.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotReleased")
        .withArgs(id, details.releaseAt);
    });

    it("reverts with SettlementUnauthorized for anyone but the payee", async function () {
      const f = await load();
      const { id, details } = await settle(f);
      await time.increaseTo(details.releaseAt);
      for (const caller of [f.payer, f.recipient, f.stranger]) {
        await expect(f.settlement.connect(caller).claim(details, caller.address))
          .to.be.revertedWithCustomError(f.settlement, "SettlementUnauthorized")
          .withArgs(id, caller.address);
      }
    });

    it("reverts with SettlementZeroArgument for a zero recipient", async function () {
      const f = await load();
      const { details } = await settle(f);
      await time.increaseTo(details.releaseAt);
      await expect(
        f.settlement.connect(f.payee).claim(details, ZeroAddress),
      ).to.be.revertedWithCustomError(f.settlement, "SettlementZeroArgument");
    });

    it("reverts with SettlementUnknown for details that differ from the settled ones in any field", async function () {
      const f = await load();
      const { details } = await settle(f);
      await time.increaseTo(details.releaseAt);
      for (const tampered of tamperedCopies(details, f.stranger.address)) {
        await expect(f.settlement.connect(f.payee).claim(tampered, f.payee.address))
          .to.be.revertedWithCustomError(f.settlement, "SettlementUnknown")
          .withArgs(settlementIdOf(tampered.payer, tampered.requestId));
      }
      expect(await f.settlement.stateOf(settlementIdOf(details.payer, details.requestId))).to.equal(
        SettlementState.Open,
      );
    });

    it("reverts with SettlementNotOpen for a second claim and for a refund after a claim", async function () {
      const f = await load();
      const { id, details } = await settle(f);
      await time.increaseTo(details.releaseAt);
      await (await f.settlement.connect(f.payee).claim(details, f.payee.address)).wait();
      await expect(f.settlement.connect(f.payee).claim(details, f.payee.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotOpen")
        .withArgs(id, SettlementState.Claimed);
      await rollbackTo(f, 1, Disposition.Faulty);
      await expect(f.settlement.connect(f.payer).refund(details, f.payer.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotOpen")
        .withArgs(id, SettlementState.Claimed);
    });

    it("reverts with SettlementVersionFaulty when the bound version was marked Faulty before releaseAt", async function () {
      const f = await load();
      const { id, details } = await settle(f);
      await time.setNextBlockTimestamp(details.releaseAt - 1n);
      const faultyAt = await rollbackTo(f, 1, Disposition.Faulty);
      await time.increaseTo(details.releaseAt + DAY);
      await expect(f.settlement.connect(f.payee).claim(details, f.payee.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementVersionFaulty")
        .withArgs(id, faultyAt);
    });

    it("reverts with SettlementModelPaused while a pause that began before releaseAt lasts, and pays once the model resumes", async function () {
      const f = await load();
      const { id, details } = await settle(f);
      await time.setNextBlockTimestamp(details.releaseAt - 1n);
      const pausedAt = await pauseModel(f);
      expect(await f.registry.pausedSince(MODEL_ID)).to.equal(pausedAt);
      await time.increaseTo(details.releaseAt + DAY);
      await expect(f.settlement.connect(f.payee).claim(details, f.payee.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementModelPaused")
        .withArgs(id, pausedAt);

      await resumeModel(f);
      await expect(f.settlement.connect(f.payee).claim(details, f.payee.address))
        .to.emit(f.settlement, "Claimed")
        .withArgs(id, f.payee.address, f.payee.address, AMOUNT);
    });

    it("pays when the pause began at or after releaseAt", async function () {
      const f = await load();
      const first = await settle(f);
      const second = await settle(f);
      expect(second.details.releaseAt).to.be.greaterThan(first.details.releaseAt);
      // The pause begins exactly at the second's releaseAt, after the first's.
      await time.setNextBlockTimestamp(second.details.releaseAt);
      expect(await pauseModel(f)).to.equal(second.details.releaseAt);
      for (const { id, details } of [first, second]) {
        await expect(f.settlement.connect(f.payee).claim(details, f.payee.address))
          .to.emit(f.settlement, "Claimed")
          .withArgs(id, f.payee.address, f.payee.address, AMOUNT);
      }
    });

    it("lets the payee claim a settlement of a version merely Withdrawn during the hold period", async function () {
      const f = await load();
      const { id, details } = await settle(f);
      await rollbackTo(f, 1, Disposition.Withdrawn);
      await time.increaseTo(details.releaseAt);
      await expect(
        f.settlement.connect(f.payee).claim(details, f.payee.address),
      ).to.changeTokenBalances(ethers, f.token, [f.settlement, f.payee], [-AMOUNT, AMOUNT]);
      expect(await f.settlement.stateOf(id)).to.equal(SettlementState.Claimed);
    });
  });

  describe("refund", function () {
    it("refunds the payer after its version is rolled back as Faulty and emits Refunded with reason VersionFaulty", async function () {
      const f = await load();
      const { id, details } = await settle(f);
      await rollbackTo(f, 1, Disposition.Faulty);
      const tx = f.settlement.connect(f.payer).refund(details, f.payer.address);
      await expect(tx).to.changeTokenBalances(
        ethers,
        f.token,
        [f.settlement, f.payer, f.payee],
        [-AMOUNT, AMOUNT, 0n],
      );
      await expect(tx)
        .to.emit(f.settlement, "Refunded")
        .withArgs(id, f.payer.address, f.payer.address, AMOUNT, RefundReason.VersionFaulty, 0n);
      expect(await f.settlement.stateOf(id)).to.equal(SettlementState.Refunded);

      await time.increaseTo(details.releaseAt);
      await expect(f.settlement.connect(f.payee).claim(details, f.payee.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotOpen")
        .withArgs(id, SettlementState.Refunded);
      await expect(f.settlement.connect(f.payer).refund(details, f.payer.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotOpen")
        .withArgs(id, SettlementState.Refunded);
    });

    it("refunds to the address the payer chooses, also after releaseAt", async function () {
      const f = await load();
      const { id, details } = await settle(f);
      await rollbackTo(f, 1, Disposition.Faulty);
      await time.increaseTo(details.releaseAt + DAY);
      const tx = f.settlement.connect(f.payer).refund(details, f.recipient.address);
      await expect(tx).to.changeTokenBalances(
        ethers,
        f.token,
        [f.payer, f.recipient],
        [0n, AMOUNT],
      );
      await expect(tx)
        .to.emit(f.settlement, "Refunded")
        .withArgs(id, f.payer.address, f.recipient.address, AMOUNT, RefundReason.VersionFaulty, 0n);
    });

    it("refuses a refund after a rollback as Withdrawn, and the payee claims after release", async function () {
      const f = await load();
      const { id, details } = await settle(f);
      await rollbackTo(f, 1, Disposition.Withdrawn);
      await expect(f.settlement.connect(f.payer).refund(details, f.payer.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotRefundable")
        .withArgs(id, 0n, details.releaseAt);
      await time.increaseTo(details.releaseAt);
      await expect(f.settlement.connect(f.payee).claim(details, f.payee.address))
        .to.emit(f.settlement, "Claimed")
        .withArgs(id, f.payee.address, f.payee.address, AMOUNT);
    });

    it("refunds once a Withdrawn version is escalated to Faulty before release", async function () {
      const f = await load();
      const { id, details } = await settle(f);
      await rollbackTo(f, 1, Disposition.Withdrawn);
      const faultyAt = await revokeVersion(f, 2, Disposition.Faulty);
      expect(await f.registry.faultyAt(MODEL_ID, 2)).to.equal(faultyAt);
      await time.increaseTo(details.releaseAt);
      await expect(f.settlement.connect(f.payee).claim(details, f.payee.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementVersionFaulty")
        .withArgs(id, faultyAt);
      await expect(f.settlement.connect(f.payer).refund(details, f.payer.address))
        .to.emit(f.settlement, "Refunded")
        .withArgs(id, f.payer.address, f.payer.address, AMOUNT, RefundReason.VersionFaulty, 0n);
    });

    it("keeps a settlement bound to v1 claimable when v2, promoted after it, is rolled back as Faulty", async function () {
      const f = await load();
      await rollbackTo(f, 1, Disposition.Withdrawn); // v1 live again, in epoch 3
      const underV1 = await settle(f, { version: 1, epoch: 3 });
      await promote(f, 2); // v2 live in epoch 4
      const underV2 = await settle(f, { version: 2, epoch: 4 });
      await rollbackTo(f, 1, Disposition.Faulty); // v2 Faulty, v1 live in epoch 5

      await expect(f.settlement.connect(f.payer).refund(underV1.details, f.payer.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotRefundable")
        .withArgs(underV1.id, 0n, underV1.details.releaseAt);
      await expect(f.settlement.connect(f.payer).refund(underV2.details, f.payer.address))
        .to.emit(f.settlement, "Refunded")
        .withArgs(
          underV2.id,
          f.payer.address,
          f.payer.address,
          AMOUNT,
          RefundReason.VersionFaulty,
          0n,
        );
      await time.increaseTo(underV1.details.releaseAt);
      await expect(f.settlement.connect(f.payee).claim(underV1.details, f.payee.address))
        .to.emit(f.settlement, "Claimed")
        .withArgs(underV1.id, f.payee.address, f.payee.address, AMOUNT);
    });

    it("refuses a refund when the Faulty marking came at releaseAt or later, and the payee claims", async function () {
      const f = await load();
      const earlier = await settle(f);
      const later = await settle(f);
      expect(later.details.releaseAt).to.be.greaterThan(earlier.details.releaseAt);
      // Marked Faulty exactly at the later one's releaseAt: after the earlier one's.
      await time.setNextBlockTimestamp(later.details.releaseAt);
      const faultyAt = await rollbackTo(f, 1, Disposition.Faulty);
      expect(faultyAt).to.equal(later.details.releaseAt);
      for (const { id, details } of [earlier, later]) {
        await expect(f.settlement.connect(f.payer).refund(details, f.payer.address))
          .to.be.revertedWithCustomError(f.settlement, "SettlementNotRefundable")
          .withArgs(id, faultyAt, details.releaseAt);
        await expect(
          f.settlement.connect(f.payee).claim(details, f.payee.address),
        ).to.changeTokenBalances(ethers, f.token, [f.settlement, f.payee], [-AMOUNT, AMOUNT]);
      }
    });

    it("refunds a settlement of a version revoked as Faulty after a newer version replaced it", async function () {
      const f = await load();
      const { id, details } = await settle(f);
      await promote(f, 3); // v2 Retired, v3 live
      const faultyAt = await revokeVersion(f, 2, Disposition.Faulty);
      expect(faultyAt).to.be.lessThan(details.releaseAt);
      await time.increaseTo(details.releaseAt);
      await expect(f.settlement.connect(f.payee).claim(details, f.payee.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementVersionFaulty")
        .withArgs(id, faultyAt);
      await expect(f.settlement.connect(f.payer).refund(details, f.payer.address))
        .to.emit(f.settlement, "Refunded")
        .withArgs(id, f.payer.address, f.payer.address, AMOUNT, RefundReason.VersionFaulty, 0n);
    });

    it("refunds when the Faulty marking came one second before releaseAt", async function () {
      const f = await load();
      const { id, details } = await settle(f);
      await time.setNextBlockTimestamp(details.releaseAt - 1n);
      await rollbackTo(f, 1, Disposition.Faulty);
      await expect(f.settlement.connect(f.payer).refund(details, f.payer.address))
        .to.emit(f.settlement, "Refunded")
        .withArgs(id, f.payer.address, f.payer.address, AMOUNT, RefundReason.VersionFaulty, 0n);
    });

    it("reverts with SettlementNotRefundable while the bound version is not Faulty", async function () {
      const f = await load();
      const { id, details } = await settle(f);
      await expect(f.settlement.connect(f.payer).refund(details, f.payer.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotRefundable")
        .withArgs(id, 0n, details.releaseAt);
    });

    it("reverts with SettlementUnauthorized for anyone but the payer", async function () {
      const f = await load();
      const { id, details } = await settle(f);
      await rollbackTo(f, 1, Disposition.Faulty);
      for (const caller of [f.payee, f.otherPayer, f.guardian]) {
        await expect(f.settlement.connect(caller).refund(details, caller.address))
          .to.be.revertedWithCustomError(f.settlement, "SettlementUnauthorized")
          .withArgs(id, caller.address);
      }
    });

    it("reverts with SettlementZeroArgument for a zero recipient", async function () {
      const f = await load();
      const { details } = await settle(f);
      await rollbackTo(f, 1, Disposition.Faulty);
      await expect(
        f.settlement.connect(f.payer).refund(details, ZeroAddress),
      ).to.be.revertedWithCustomError(f.settlement, "SettlementZeroArgument");
    });

    it("reverts with SettlementUnknown for details that differ from the settled ones in any field", async function () {
      const f = await load();
      const { details } = await settle(f);
      await rollbackTo(f, 1, Disposition.Faulty);
      for (const tampered of tamperedCopies(details, f.stranger.address)) {
        await expect(f.settlement.connect(f.payer).refund(tampered, f.payer.address))
          .to.be.revertedWithCustomError(f.settlement, "SettlementUnknown")
          .withArgs(settlementIdOf(tampered.payer, tampered.requestId));
      }
    });
  });

  describe("the fault cache", function () {
    it("caches the version's faultyAt on the epoch's first refund; the next refunds of the epoch read it and refund alike", async function () {
      const f = await load();
      const token = await f.token.getAddress();
      const first = await settle(f);
      const second = await settle(f, { payer: f.otherPayer });
      const faultyAt = await rollbackTo(f, 1, Disposition.Faulty);
      expect((await f.settlement.volume(MODEL_ID, 2, token)).faultyAtCached).to.equal(0n);
      await (await f.settlement.connect(f.payer).refund(first.details, f.payer.address)).wait();
      expect((await f.settlement.volume(MODEL_ID, 2, token)).faultyAtCached).to.equal(faultyAt);
      await expect(f.settlement.connect(f.otherPayer).refund(second.details, f.otherPayer.address))
        .to.emit(f.settlement, "Refunded")
        .withArgs(
          second.id,
          f.otherPayer.address,
          f.otherPayer.address,
          AMOUNT,
          RefundReason.VersionFaulty,
          0n,
        );
      expect(await volumeOf(f, 2n, token)).to.deep.equal({
        settledCount: 2n,
        settledAmount: 2n * AMOUNT,
        refundedCount: 2n,
        refundedAmount: 2n * AMOUNT,
      });
    });

    it("caches nothing on a refused refund, so a Withdrawn version escalated to Faulty later refunds", async function () {
      const f = await load();
      const token = await f.token.getAddress();
      const { id, details } = await settle(f);
      await rollbackTo(f, 1, Disposition.Withdrawn);
      await expect(f.settlement.connect(f.payer).refund(details, f.payer.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotRefundable")
        .withArgs(id, 0n, details.releaseAt);
      expect((await f.settlement.volume(MODEL_ID, 2, token)).faultyAtCached).to.equal(0n);
      const faultyAt = await revokeVersion(f, 2, Disposition.Faulty);
      await (await f.settlement.connect(f.payer).refund(details, f.payer.address)).wait();
      expect((await f.settlement.volume(MODEL_ID, 2, token)).faultyAtCached).to.equal(faultyAt);
    });

    it("is per (model, epoch, token): a settlement of the same version in another token reads the registry", async function () {
      const f = await load();
      const other = await ethers.deployContract("ERC20TestDouble");
      await (await other.mint(f.payer.address, AMOUNT)).wait();
      await (await other.connect(f.payer).approve(await f.settlement.getAddress(), AMOUNT)).wait();
      const inToken = await settle(f);
      const inOther = await settle(f, { token: other });
      const faultyAt = await rollbackTo(f, 1, Disposition.Faulty);
      await (await f.settlement.connect(f.payer).refund(inToken.details, f.payer.address)).wait();
      expect(
        (await f.settlement.volume(MODEL_ID, 2, await other.getAddress())).faultyAtCached,
      ).to.equal(0n);
      await expect(
        f.settlement.connect(f.payer).refund(inOther.details, f.payer.address),
      ).to.changeTokenBalances(ethers, other, [f.payer], [AMOUNT]);
      expect(
        (await f.settlement.volume(MODEL_ID, 2, await other.getAddress())).faultyAtCached,
      ).to.equal(faultyAt);
    });
  });

  describe("a pause of the bound version", function () {
    const HOUR = 3600n;

    /** The guardian takes the paused version (v2) down as Faulty: by rollback to v1, or revoke. */
    const takeDowns: Array<[string, (f: SettlementFixture) => Promise<bigint>]> = [
      ["rolls it back", (f) => rollbackTo(f, 1, Disposition.Faulty)],
      ["revokes it", (f) => revokeVersion(f, 2, Disposition.Faulty)],
    ];

    for (const [how, takeDown] of takeDowns) {
      it(`holds the claim while it lasts; if the guardian ${how} as Faulty after releaseAt, the fault counts from the pause: refund, no claim`, async function () {
        const f = await load();
        const { id, details } = await settle(f);
        expect(details.version).to.equal(2n);
        await time.setNextBlockTimestamp(details.releaseAt - HOUR);
        const pauseStart = await pauseModel(f);
        expect(await f.registry.pausedSince(MODEL_ID)).to.equal(pauseStart);
        expect(await f.registry.currentVersion(MODEL_ID)).to.equal(2n);

        await time.increaseTo(details.releaseAt + DAY);
        await expect(f.settlement.connect(f.payee).claim(details, f.payee.address))
          .to.be.revertedWithCustomError(f.settlement, "SettlementModelPaused")
          .withArgs(id, pauseStart);
        await expect(f.settlement.connect(f.payer).refund(details, f.payer.address))
          .to.be.revertedWithCustomError(f.settlement, "SettlementNotRefundable")
          .withArgs(id, 0n, details.releaseAt);

        const markedAt = await takeDown(f);
        expect(markedAt).to.be.greaterThan(details.releaseAt);
        expect(await f.registry.pausedSince(MODEL_ID)).to.equal(0n);
        expect(await f.registry.faultyAt(MODEL_ID, 2)).to.equal(pauseStart);
        expect((await f.registry.getVersion(MODEL_ID, 2)).dispositionAt).to.equal(markedAt);

        await expect(f.settlement.connect(f.payee).claim(details, f.payee.address))
          .to.be.revertedWithCustomError(f.settlement, "SettlementVersionFaulty")
          .withArgs(id, pauseStart);
        const tx = f.settlement.connect(f.payer).refund(details, f.payer.address);
        await expect(tx).to.changeTokenBalances(
          ethers,
          f.token,
          [f.settlement, f.payer, f.payee],
          [-AMOUNT, AMOUNT, 0n],
        );
        await expect(tx)
          .to.emit(f.settlement, "Refunded")
          .withArgs(id, f.payer.address, f.payer.address, AMOUNT, RefundReason.VersionFaulty, 0n);
        expect(await f.settlement.stateOf(id)).to.equal(SettlementState.Refunded);
      });
    }

    it("does not hold a settlement bound to v1, settled before the promotion to v2, while v2 is paused", async function () {
      const f = await load();
      await rollbackTo(f, 1, Disposition.Withdrawn); // v1 live again, in epoch 3
      const underV1 = await settle(f, { version: 1, epoch: 3 });
      await promote(f, 2); // v2 live in epoch 4
      const underV2 = await settle(f, { version: 2, epoch: 4 });
      const pauseStart = await pauseModel(f);
      expect(pauseStart).to.be.lessThan(underV1.details.releaseAt);
      expect(await f.registry.currentVersion(MODEL_ID)).to.equal(2n);

      await time.increaseTo(underV2.details.releaseAt);
      expect(await f.registry.pausedSince(MODEL_ID)).to.equal(pauseStart);
      await expect(
        f.settlement.connect(f.payee).claim(underV1.details, f.payee.address),
      ).to.changeTokenBalances(ethers, f.token, [f.settlement, f.payee], [-AMOUNT, AMOUNT]);
      expect(await f.settlement.stateOf(underV1.id)).to.equal(SettlementState.Claimed);
      // The same pause holds the payee of the paused version.
      await expect(f.settlement.connect(f.payee).claim(underV2.details, f.payee.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementModelPaused")
        .withArgs(underV2.id, pauseStart);
    });

    it("does not hold a claim when it began after releaseAt, nor refund when the version is taken down as Faulty from it", async function () {
      const f = await load();
      const earlier = await settle(f);
      const later = await settle(f);
      expect(later.details.releaseAt).to.be.greaterThan(earlier.details.releaseAt);
      // After the earlier one's releaseAt, exactly at the later one's.
      await time.setNextBlockTimestamp(later.details.releaseAt);
      const pauseStart = await pauseModel(f);
      expect(pauseStart).to.equal(later.details.releaseAt);
      await time.increaseTo(later.details.releaseAt + HOUR);
      await expect(f.settlement.connect(f.payee).claim(earlier.details, f.payee.address))
        .to.emit(f.settlement, "Claimed")
        .withArgs(earlier.id, f.payee.address, f.payee.address, AMOUNT);

      await rollbackTo(f, 1, Disposition.Faulty);
      expect(await f.registry.faultyAt(MODEL_ID, 2)).to.equal(pauseStart);
      await expect(f.settlement.connect(f.payer).refund(later.details, f.payer.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotRefundable")
        .withArgs(later.id, pauseStart, later.details.releaseAt);
      await expect(f.settlement.connect(f.payee).claim(later.details, f.payee.address))
        .to.emit(f.settlement, "Claimed")
        .withArgs(later.id, f.payee.address, f.payee.address, AMOUNT);
    });
  });

  describe("the payer's guard on the hold period (minHoldPeriod)", function () {
    it("refuses a payment front-run by setHoldPeriod(0) with SettlementHoldPeriodTooShort and changes nothing", async function () {
      const f = await load();
      await (await f.settlement.connect(f.governor).setHoldPeriod(0)).wait();
      const requestId = nextRequestId();
      const before = await f.token.balanceOf(f.payer.address);
      await expect(settleTx(f, { requestId, minHoldPeriod: HOLD_PERIOD }))
        .to.be.revertedWithCustomError(f.settlement, "SettlementHoldPeriodTooShort")
        .withArgs(0n, HOLD_PERIOD);
      expect(await f.token.balanceOf(f.payer.address)).to.equal(before);
      expect(await f.settlement.stateOf(settlementIdOf(f.payer.address, requestId))).to.equal(0n);
      expect(
        (await f.settlement.volume(MODEL_ID, 2, await f.token.getAddress())).settledCount,
      ).to.equal(0n);
    });

    it("accepts a hold period equal to or above the guard, and any with a guard of 0", async function () {
      const f = await load();
      const exact = await settle(f, { minHoldPeriod: HOLD_PERIOD });
      expect(exact.details.releaseAt - exact.details.settledAt).to.equal(HOLD_PERIOD);
      await expect(settleTx(f, { minHoldPeriod: HOLD_PERIOD + 1n }))
        .to.be.revertedWithCustomError(f.settlement, "SettlementHoldPeriodTooShort")
        .withArgs(HOLD_PERIOD, HOLD_PERIOD + 1n);
      await (await f.settlement.connect(f.governor).setHoldPeriod(HOLD_PERIOD * 2n)).wait();
      const longer = await settle(f, { minHoldPeriod: HOLD_PERIOD });
      expect(longer.details.releaseAt - longer.details.settledAt).to.equal(HOLD_PERIOD * 2n);
      await (await f.settlement.connect(f.governor).setHoldPeriod(0)).wait();
      const unguarded = await settle(f, { minHoldPeriod: 0 });
      expect(unguarded.details.releaseAt).to.equal(unguarded.details.settledAt);
    });
  });

  describe("a zero hold period", function () {
    it("releases at once: releaseAt equals settledAt, no refund is possible and the payee claims despite a later Faulty marking", async function () {
      const f = await load();
      await (await f.settlement.connect(f.governor).setHoldPeriod(0)).wait();
      const { id, details } = await settle(f, { minHoldPeriod: 0 });
      expect(details.releaseAt).to.equal(details.settledAt);
      const faultyAt = await rollbackTo(f, 1, Disposition.Faulty);
      await expect(f.settlement.connect(f.payer).refund(details, f.payer.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotRefundable")
        .withArgs(id, faultyAt, details.releaseAt);
      await expect(f.settlement.connect(f.payee).claim(details, f.payee.address))
        .to.emit(f.settlement, "Claimed")
        .withArgs(id, f.payee.address, f.payee.address, AMOUNT);
    });
  });

  describe("setHoldPeriod", function () {
    it("lets the governor change the hold period of future settlements only, and emits HoldPeriodSet", async function () {
      const f = await load();
      const before = await settle(f);
      const newPeriod = 7n * DAY;
      await expect(f.settlement.connect(f.governor).setHoldPeriod(newPeriod))
        .to.emit(f.settlement, "HoldPeriodSet")
        .withArgs(HOLD_PERIOD, newPeriod);
      expect(await f.settlement.holdPeriod()).to.equal(newPeriod);
      const after = await settle(f);
      expect(after.details.releaseAt).to.equal(after.details.settledAt + newPeriod);

      // The earlier settlement keeps its own releaseAt.
      await time.increaseTo(before.details.releaseAt);
      await expect(f.settlement.connect(f.payee).claim(before.details, f.payee.address))
        .to.emit(f.settlement, "Claimed")
        .withArgs(before.id, f.payee.address, f.payee.address, AMOUNT);
    });

    it("accepts zero and the maximum and rejects the maximum plus one", async function () {
      const f = await load();
      const max = await f.settlement.MAX_HOLD_PERIOD();
      await expect(f.settlement.connect(f.governor).setHoldPeriod(max))
        .to.emit(f.settlement, "HoldPeriodSet")
        .withArgs(HOLD_PERIOD, max);
      await expect(f.settlement.connect(f.governor).setHoldPeriod(0))
        .to.emit(f.settlement, "HoldPeriodSet")
        .withArgs(max, 0n);
      await expect(f.settlement.connect(f.governor).setHoldPeriod(max + 1n))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidHoldPeriod")
        .withArgs(max + 1n, max);
      expect(await f.settlement.holdPeriod()).to.equal(0n);
    });

    it("reverts with AccessManagedUnauthorized for callers without the GOVERNOR role", async function () {
      const f = await load();
      for (const caller of [f.admin, f.guardian, f.publisher, f.payer, f.stranger]) {
        await expect(f.settlement.connect(caller).setHoldPeriod(DAY))
          .to.be.revertedWithCustomError(f.settlement, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
      expect(await f.settlement.holdPeriod()).to.equal(HOLD_PERIOD);
    });
  });

  describe("volume", function () {
    it("counts settlements and refunds per (model, epoch, token), and the totals equal the sums", async function () {
      const f = await load();
      const token = await f.token.getAddress();
      const other = await ethers.deployContract("ERC20TestDouble");
      const otherAddress = await other.getAddress();
      await (await other.mint(f.payer.address, AMOUNT * 100n)).wait();
      await (
        await other.connect(f.payer).approve(await f.settlement.getAddress(), AMOUNT * 100n)
      ).wait();

      // Epoch 2 (v2): three payments in `token` (two payers), one in `other`.
      const epoch2 = [AMOUNT, 2n * AMOUNT, 5n];
      const inEpoch2 = [
        await settle(f, { amount: epoch2[0] }),
        await settle(f, { amount: epoch2[1], payer: f.otherPayer }),
        await settle(f, { amount: epoch2[2] }),
      ];
      await settle(f, { amount: 7n, token: other });
      // v2 rolled back as Faulty: two of the three `token` payments are refunded.
      await rollbackTo(f, 1, Disposition.Faulty);
      await (
        await f.settlement.connect(f.payer).refund(inEpoch2[0].details, f.payer.address)
      ).wait();
      await (
        await f.settlement.connect(f.otherPayer).refund(inEpoch2[1].details, f.recipient.address)
      ).wait();
      // Epoch 3 (v1): two payments, none refunded.
      const epoch3 = [3n * AMOUNT, 11n];
      for (const amount of epoch3) await settle(f, { amount, version: 1 });

      expect(await volumeOf(f, 2n, token)).to.deep.equal({
        settledCount: 3n,
        settledAmount: epoch2.reduce((a, b) => a + b, 0n),
        refundedCount: 2n,
        refundedAmount: epoch2[0] + epoch2[1],
      });
      expect(await volumeOf(f, 2n, otherAddress)).to.deep.equal({
        settledCount: 1n,
        settledAmount: 7n,
        refundedCount: 0n,
        refundedAmount: 0n,
      });
      expect(await volumeOf(f, 3n, token)).to.deep.equal({
        settledCount: 2n,
        settledAmount: epoch3.reduce((a, b) => a + b, 0n),
        refundedCount: 0n,
        refundedAmount: 0n,
      });
      const none = { settledCount: 0n, settledAmount: 0n, refundedCount: 0n, refundedAmount: 0n };
      expect(await volumeOf(f, 1n, token)).to.deep.equal(none);
      expect(await volumeOf(f, 2n, token, OTHER_MODEL_ID)).to.deep.equal(none);
      // The escrow holds exactly what is neither refunded nor claimed.
      expect(await f.token.balanceOf(await f.settlement.getAddress())).to.equal(
        epoch2[2] + epoch3[0] + epoch3[1],
      );
    });

    it("leaves the volume unchanged by a claim", async function () {
      const f = await load();
      const token = await f.token.getAddress();
      const { details } = await settle(f);
      const before = await volumeOf(f, 2n, token);
      await time.increaseTo(details.releaseAt);
      await (await f.settlement.connect(f.payee).claim(details, f.payee.address)).wait();
      expect(await volumeOf(f, 2n, token)).to.deep.equal(before);
      expect(before).to.deep.equal({
        settledCount: 1n,
        settledAmount: AMOUNT,
        refundedCount: 0n,
        refundedAmount: 0n,
      });
    });
  });
});
