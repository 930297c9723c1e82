/**
 * InferenceSettlement.settleToRoutable: a payer that requires its payee to have acknowledged the
 * live epoch on NodeRouting. The refusal names the node, its last acknowledged epoch and the live
 * one, and moves nothing; otherwise it is exactly settle. The attacks of its NatSpec: a stale node
 * after a rollback, an acknowledgement in the rollback's block (before and after it), a removed
 * operator, a payment made before the node went stale, a token re-entering through it.
 */
import { expect } from "chai";
import { network } from "hardhat";

import type { ERC20TestDouble, ReentrantTokenTestDouble } from "../types/ethers-contracts/index.js";
import { inOneBlock, sendRollback } from "./helpers/anchor-fixture.js";
import {
  AMOUNT,
  Disposition,
  MINTED,
  MODEL_ID,
  OTHER_MODEL_ID,
  SettlementState,
  deploySettlement,
  fund,
  nextRequestId,
  promote,
  rollbackTo,
  settle,
  settleTx,
  settlementIdOf,
  type SettlementFixture,
} from "./helpers/settlement-fixture.js";

const connection = await network.getOrCreate();
const { ethers, networkHelpers } = connection;
const { time } = networkHelpers;

function routingFixture(): Promise<SettlementFixture> {
  return deploySettlement(connection);
}

const load = () => networkHelpers.loadFixture(routingFixture);

/** The live epoch of MODEL_ID. */
async function liveEpoch(f: SettlementFixture): Promise<bigint> {
  return (await f.registry.live(MODEL_ID)).epoch;
}

/** The payee acknowledges MODEL_ID's live epoch. */
async function acknowledgeLive(f: SettlementFixture, node = f.payee): Promise<void> {
  await (await f.routing.connect(node).acknowledge(MODEL_ID, await liveEpoch(f))).wait();
}

/** Refused with SettlementPayeeNotRoutable(model, payee, acknowledged, live); nothing moved. */
async function expectNotRoutable(
  f: SettlementFixture,
  acknowledged: bigint,
  live: bigint,
  payee = f.payee.address,
): Promise<void> {
  const requestId = nextRequestId();
  const balance = await f.token.balanceOf(f.payer.address);
  const [settledCount] = await f.settlement.volume(MODEL_ID, live, await f.token.getAddress());
  await expect(settleTx(f, { toRoutable: true, payee, requestId }))
    .to.be.revertedWithCustomError(f.settlement, "SettlementPayeeNotRoutable")
    .withArgs(MODEL_ID, payee, acknowledged, live);
  expect(await f.token.balanceOf(f.payer.address)).to.equal(balance);
  expect(await f.settlement.stateOf(settlementIdOf(f.payer.address, requestId))).to.equal(
    SettlementState.None,
  );
  const [after] = await f.settlement.volume(MODEL_ID, live, await f.token.getAddress());
  expect(after).to.equal(settledCount);
}

describe("InferenceSettlement: settleToRoutable", function () {
  it("reads the deployment's NodeRouting", async function () {
    const f = await load();
    expect(await f.settlement.nodeRouting()).to.equal(await f.routing.getAddress());
  });

  it("refuses a payee that never acknowledged, naming it, epoch 0 and the live epoch", async function () {
    const f = await load();
    await expectNotRoutable(f, 0n, await liveEpoch(f));
    // Another operator's acknowledgement does not make this payee routable.
    await acknowledgeLive(f, f.otherNode);
    await expectNotRoutable(f, 0n, await liveEpoch(f));
  });

  it("settles to a payee that acknowledged the live epoch exactly as settle does, and records the check", async function () {
    const f = await load();
    await acknowledgeLive(f);
    const [, ackAt] = await f.routing.lastAcknowledged(MODEL_ID, f.payee.address);
    const requestId = nextRequestId();
    const tx = settleTx(f, { toRoutable: true, requestId });
    await expect(tx).to.emit(f.settlement, "Settled");
    await expect(tx)
      .to.emit(f.settlement, "PayeeRoutingChecked")
      .withArgs(
        settlementIdOf(f.payer.address, requestId),
        f.payee.address,
        await liveEpoch(f),
        ackAt,
      );
    const receipt = (await (await tx).wait())!;
    const log = receipt.logs
      .map((l) => f.settlement.interface.parseLog(l))
      .find((l) => l?.name === "Settled")!;
    const id = settlementIdOf(f.payer.address, requestId);
    expect(log.args.settlementId).to.equal(id);
    expect(log.args.epoch).to.equal(await liveEpoch(f));
    expect(log.args.payee).to.equal(f.payee.address);
    expect(await f.settlement.stateOf(id)).to.equal(SettlementState.Open);
    expect(await f.token.balanceOf(f.payer.address)).to.equal(MINTED - AMOUNT);
    expect(await f.token.balanceOf(await f.settlement.getAddress())).to.equal(AMOUNT);
  });

  it("after a rollback refuses the payee that has not switched (its old epoch, the new one), and settles once it acknowledges", async function () {
    const f = await load();
    await acknowledgeLive(f);
    const before = await liveEpoch(f);
    await rollbackTo(f, 1, Disposition.Faulty);
    const after = await liveEpoch(f);
    expect(after).to.be.greaterThan(before);
    await expectNotRoutable(f, before, after);
    // settle, without the check, still pays it: the check is the payer's choice.
    await expect(settleTx(f)).to.emit(f.settlement, "Settled");
    await time.increase(3600);
    await acknowledgeLive(f);
    const s = await settle(f, { toRoutable: true });
    expect(s.details.epoch).to.equal(after);
    expect(s.details.version).to.equal(1n);
  });

  it("an acknowledgement mined in the rollback's block counts only after the rollback", async function () {
    const f = await load();
    const e2 = await liveEpoch(f);
    // The rollback first, then the acknowledgement of the epoch it opened: routable.
    let at = BigInt(await time.latest()) + 10n;
    await inOneBlock(connection, at, [
      () =>
        sendRollback(f.registry, f.guardian, MODEL_ID, 1, Disposition.Faulty, {
          gasLimit: 2_000_000,
        }),
      () => f.routing.connect(f.payee).acknowledge(MODEL_ID, e2 + 1n, { gasLimit: 200_000 }),
    ]);
    await expect(settleTx(f, { toRoutable: true })).to.emit(f.settlement, "Settled");

    // The acknowledgement first, then a promotion in the same block: stale at once.
    const g = await load();
    await (await g.registry.connect(g.governor).propose(MODEL_ID, 3)).wait();
    await time.increase(await g.registry.promotionDelay());
    const live = await liveEpoch(g);
    at = BigInt(await time.latest()) + 10n;
    await inOneBlock(connection, at, [
      () => g.routing.connect(g.payee).acknowledge(MODEL_ID, live, { gasLimit: 200_000 }),
      () => g.registry.activate(MODEL_ID, { gasLimit: 2_000_000 }),
    ]);
    await expectNotRoutable(g, live, await liveEpoch(g));
  });

  it("refuses during a pause and on a model with nothing live with settle's own errors; after the resume the payee must acknowledge again", async function () {
    const f = await load();
    await acknowledgeLive(f);
    const e = await liveEpoch(f);
    await (await f.registry.connect(f.guardian).pause(MODEL_ID)).wait();
    await expect(settleTx(f, { toRoutable: true, version: 2 }))
      .to.be.revertedWithCustomError(f.settlement, "VersionBoundModelPaused")
      .withArgs(MODEL_ID);
    await expect(settleTx(f, { toRoutable: true, modelId: OTHER_MODEL_ID, version: 1 }))
      .to.be.revertedWithCustomError(f.settlement, "VersionBoundNothingLive")
      .withArgs(OTHER_MODEL_ID);
    await (await f.registry.connect(f.guardian).resume(MODEL_ID)).wait();
    await expectNotRoutable(f, e, await liveEpoch(f));
    await acknowledgeLive(f);
    await expect(settleTx(f, { toRoutable: true })).to.emit(f.settlement, "Settled");
  });

  it("keeps settle's checks, in settle's order: version, epoch, zero arguments, a repeated request, the hold-period guard", async function () {
    const f = await load();
    await acknowledgeLive(f);
    const e = await liveEpoch(f);
    await expect(settleTx(f, { toRoutable: true, version: 1 }))
      .to.be.revertedWithCustomError(f.settlement, "VersionBoundVersionMismatch")
      .withArgs(MODEL_ID, 1, 2);
    await expect(settleTx(f, { toRoutable: true, epoch: e + 1n }))
      .to.be.revertedWithCustomError(f.settlement, "VersionBoundEpochMismatch")
      .withArgs(MODEL_ID, e + 1n, e);
    await expect(settleTx(f, { toRoutable: true, amount: 0n })).to.be.revertedWithCustomError(
      f.settlement,
      "SettlementZeroArgument",
    );
    const requestId = nextRequestId();
    const s = await settle(f, { toRoutable: true, requestId });
    await expect(settleTx(f, { toRoutable: true, requestId }))
      .to.be.revertedWithCustomError(f.settlement, "SettlementExists")
      .withArgs(s.id);
    // settle's own checks answer first, in its order: a zero payee is a zero argument.
    await expect(
      settleTx(f, { toRoutable: true, payee: ethers.ZeroAddress }),
    ).to.be.revertedWithCustomError(f.settlement, "SettlementZeroArgument");
    // The payer's hold-period guard, after the routing check (inside settle).
    const hold = await f.settlement.holdPeriod();
    await expect(settleTx(f, { toRoutable: true, minHoldPeriod: hold + 1n }))
      .to.be.revertedWithCustomError(f.settlement, "SettlementHoldPeriodTooShort")
      .withArgs(hold, hold + 1n);
  });

  it("reports a stale version before a stale payee, as settle would", async function () {
    const f = await load();
    await expect(settleTx(f, { toRoutable: true, version: 1 }))
      .to.be.revertedWithCustomError(f.settlement, "VersionBoundVersionMismatch")
      .withArgs(MODEL_ID, 1, 2);
  });

  it("refuses an operator removed after acknowledging the live epoch, and a payee routable only for another model", async function () {
    const f = await load();
    await acknowledgeLive(f);
    const e = await liveEpoch(f);
    await (await f.anchor.connect(f.governor).setOperator(MODEL_ID, f.payee.address, false)).wait();
    await expectNotRoutable(f, e, e);

    const g = await load();
    await promote(g, 1, OTHER_MODEL_ID);
    await (
      await g.anchor.connect(g.governor).setOperator(OTHER_MODEL_ID, g.otherNode.address, true)
    ).wait();
    const [, otherEpoch] = await g.registry.live(OTHER_MODEL_ID);
    await (await g.routing.connect(g.otherNode).acknowledge(OTHER_MODEL_ID, otherEpoch)).wait();
    await expectNotRoutable(g, 0n, await liveEpoch(g), g.otherNode.address);
  });

  it("an acknowledgement mined before a rollback in the same block leaves the payee stale", async function () {
    const f = await load();
    const e2 = await liveEpoch(f);
    const at = BigInt(await time.latest()) + 10n;
    await inOneBlock(connection, at, [
      () => f.routing.connect(f.payee).acknowledge(MODEL_ID, e2, { gasLimit: 200_000 }),
      () =>
        sendRollback(f.registry, f.guardian, MODEL_ID, 1, Disposition.Faulty, {
          gasLimit: 2_000_000,
        }),
    ]);
    await expectNotRoutable(f, e2, await liveEpoch(f));
  });

  it("refuses a fee-on-transfer token through settleToRoutable as settle does", async function () {
    const f = await load();
    await acknowledgeLive(f);
    const feeToken = (await ethers.deployContract(
      "FeeOnTransferTokenTestDouble",
    )) as unknown as ERC20TestDouble;
    await fund(feeToken, await f.settlement.getAddress(), [f.payer]);
    const amount = 1000n;
    await expect(settleTx(f, { toRoutable: true, token: feeToken, amount }))
      .to.be.revertedWithCustomError(f.settlement, "SettlementTransferMismatch")
      .withArgs(await feeToken.getAddress(), amount, amount - amount / 100n);
    expect(await feeToken.balanceOf(f.payer.address)).to.equal(MINTED);
  });

  it("cannot be deployed with a routing address that has no code", async function () {
    const f = await load();
    const factory = await ethers.getContractFactory("InferenceSettlement");
    const nowhere = f.recipient.address;
    await expect(
      factory.deploy(
        await f.manager.getAddress(),
        await f.registry.getAddress(),
        await f.anchor.getAddress(),
        nowhere,
        3600,
      ),
    )
      .to.be.revertedWithCustomError(f.settlement, "SettlementRoutingWithoutCode")
      .withArgs(nowhere);
  });

  it("does not reach a payment made while the payee was routable: it is claimed after the payee goes stale", async function () {
    const f = await load();
    await acknowledgeLive(f);
    const s = await settle(f, { toRoutable: true });
    await promote(f, 3); // a routine promotion: the payee has not acknowledged epoch 3
    expect(await f.routing.isRoutable(MODEL_ID, f.payee.address)).to.equal(false);
    await time.increaseTo(s.details.releaseAt);
    await expect(f.settlement.connect(f.payee).claim(s.details, f.payee.address))
      .to.emit(f.settlement, "Claimed")
      .withArgs(s.id, f.payee.address, f.payee.address, AMOUNT);
  });

  it("cannot be entered from inside settle by a re-entering token", async function () {
    const f = await load();
    const token = (await ethers.deployContract(
      "ReentrantTokenTestDouble",
    )) as unknown as ReentrantTokenTestDouble;
    const settlementAddress = await f.settlement.getAddress();
    await fund(token, settlementAddress, [f.payer]);
    await acknowledgeLive(f);
    // On the payer's transfer, the token calls settleToRoutable back (as itself): the routing
    // check passes (the payee acknowledged), and settle's guard refuses the re-entry.
    const inner = f.settlement.interface.encodeFunctionData("settleToRoutable", [
      MODEL_ID,
      2,
      0,
      f.payee.address,
      await token.getAddress(),
      AMOUNT,
      nextRequestId(),
      0,
    ]);
    await (await token.arm(settlementAddress, inner)).wait();
    const outer = await settle(f, { token, toRoutable: true });
    expect(await token.lastReentrySucceeded()).to.equal(false);
    expect(await token.lastReentryResult()).to.equal(
      f.settlement.interface.getError("ReentrancyGuardReentrantCall")!.selector,
    );
    expect(await f.settlement.stateOf(outer.id)).to.equal(SettlementState.Open);
  });
});
