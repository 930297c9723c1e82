import { expect } from "chai";
import { ZeroAddress, id, type BaseContract, type Interface } from "ethers";
import { network } from "hardhat";

import {
  Disposition,
  MODEL_ID,
  REASON_HASH,
  REASON_URI,
  anchorLater,
  blobOf,
  deploySettlement,
  pauseModel,
  servedAfter,
  settle,
  type SettlementFixture,
} from "./helpers/settlement-fixture.js";

/*
 * The actor in every entry is the account that acted: a role holder routing its call through
 * AccessManager.execute (which would make the manager the `by` of incidents, disputes and
 * events) is refused with the contract's RelayedCall error, and nothing changes.
 */

const connection = await network.getOrCreate();
const { ethers, networkHelpers } = connection;

function fixture(): Promise<SettlementFixture> {
  return deploySettlement(connection);
}

interface Relayed {
  name: string;
  holder: (f: SettlementFixture) => { address: string };
  target: (f: SettlementFixture) => BaseContract;
  error: string;
  data: (f: SettlementFixture) => Promise<string>;
}

const registryCall =
  (fn: string, args: (f: SettlementFixture) => unknown[] | Promise<unknown[]>) =>
  async (f: SettlementFixture) =>
    // The generic Interface signature: TypeChain's overloads accept only literal names.
    (f.registry.interface as Interface).encodeFunctionData(fn, await args(f));
const anchorCall =
  (fn: string, args: (f: SettlementFixture) => unknown[] | Promise<unknown[]>) =>
  async (f: SettlementFixture) =>
    (f.anchor.interface as Interface).encodeFunctionData(fn, await args(f));

const REGISTRY = {
  target: (f: SettlementFixture) => f.registry,
  error: "ModelRegistryRelayedCall",
};
const ANCHOR = { target: (f: SettlementFixture) => f.anchor, error: "AnchorRelayedCall" };

const CASES: Relayed[] = [
  {
    name: "createModel",
    holder: (f) => f.governor,
    ...REGISTRY,
    data: registryCall("createModel", () => [id("relay:model"), []]),
  },
  {
    name: "propose",
    holder: (f) => f.governor,
    ...REGISTRY,
    data: registryCall("propose", () => [MODEL_ID, 3]),
  },
  {
    name: "rollback",
    holder: (f) => f.guardian,
    ...REGISTRY,
    data: registryCall("rollback", () => [
      MODEL_ID,
      2,
      1,
      Disposition.Faulty,
      REASON_HASH,
      REASON_URI,
    ]),
  },
  {
    name: "revoke",
    holder: (f) => f.guardian,
    ...REGISTRY,
    data: registryCall("revoke", () => [MODEL_ID, 3, Disposition.Faulty, REASON_HASH, REASON_URI]),
  },
  {
    name: "pause",
    holder: (f) => f.guardian,
    ...REGISTRY,
    data: registryCall("pause", () => [MODEL_ID]),
  },
  {
    name: "registerVersion",
    holder: (f) => f.publisher,
    ...REGISTRY,
    data: registryCall("registerVersion", () => [
      MODEL_ID,
      blobOf(MODEL_ID, 9),
      id("relay:weights"),
      "ipfs://relay",
      1,
      ZeroAddress,
    ]),
  },
  {
    name: "registerEnclaveKey",
    holder: (f) => f.governor,
    ...ANCHOR,
    data: anchorCall("registerEnclaveKey", (f) => [
      ethers.Wallet.createRandom().address,
      f.node.address,
    ]),
  },
  {
    name: "setOperator",
    holder: (f) => f.governor,
    ...ANCHOR,
    data: anchorCall("setOperator", (f) => [MODEL_ID, f.recipient.address, true]),
  },
  {
    name: "cancelProposal",
    holder: (f) => f.guardian,
    ...REGISTRY,
    data: registryCall("cancelProposal", () => [MODEL_ID]),
  },
  {
    name: "revokeEnclaveKey",
    holder: (f) => f.guardian,
    ...ANCHOR,
    data: anchorCall("revokeEnclaveKey", () => [ethers.Wallet.createRandom().address, REASON_HASH]),
  },
  {
    name: "setHoldPeriod",
    holder: (f) => f.governor,
    target: (f) => f.settlement,
    error: "SettlementRelayedCall",
    data: async (f) => f.settlement.interface.encodeFunctionData("setHoldPeriod", [0]),
  },
];

describe("AccessManager relays: the trail names the role holder", function () {
  for (const c of CASES) {
    it(`refuses ${c.name} through AccessManager.execute with ${c.error}(manager), changing nothing`, async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const manager = await f.manager.getAddress();
      const target = c.target(f);
      const holder = await ethers.getSigner(c.holder(f).address);
      const before = await f.registry.live(MODEL_ID);
      await expect(f.manager.connect(holder).execute(await target.getAddress(), await c.data(f)))
        .to.be.revertedWithCustomError(target, c.error)
        .withArgs(manager);
      expect(await f.registry.live(MODEL_ID)).to.deep.equal(before);
    });
  }

  it("refuses the guardian's disputeBatch and a resume through execute, and the direct calls work", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const manager = await f.manager.getAddress();
    const s = await settle(f);
    const batch = await anchorLater(f, [servedAfter(s, 5n)]);
    const dispute = f.anchor.interface.encodeFunctionData("disputeBatch", [
      MODEL_ID,
      f.node.address,
      batch.root,
      REASON_HASH,
      REASON_URI,
    ]);
    await expect(f.manager.connect(f.guardian).execute(await f.anchor.getAddress(), dispute))
      .to.be.revertedWithCustomError(f.anchor, "AnchorRelayedCall")
      .withArgs(manager);
    expect((await f.anchor.getBatch(MODEL_ID, f.node.address, batch.root)).disputeCount).to.equal(
      0n,
    );
    await expect(
      f.anchor
        .connect(f.guardian)
        .disputeBatch(MODEL_ID, f.node.address, batch.root, REASON_HASH, REASON_URI),
    )
      .to.emit(f.anchor, "BatchDisputed")
      .withArgs(
        MODEL_ID,
        batch.root,
        f.node.address,
        0n,
        f.guardian.address,
        REASON_HASH,
        REASON_URI,
      );

    await pauseModel(f);
    const resume = f.registry.interface.encodeFunctionData("resume", [MODEL_ID]);
    await expect(f.manager.connect(f.guardian).execute(await f.registry.getAddress(), resume))
      .to.be.revertedWithCustomError(f.registry, "ModelRegistryRelayedCall")
      .withArgs(manager);
    expect((await f.registry.live(MODEL_ID)).paused).to.equal(true);
  });

  it("refuses activate called by the AccessManager itself (its `by` would name the manager)", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    await (await f.registry.connect(f.governor).propose(MODEL_ID, 3)).wait();
    const { earliestActivation } = await f.registry.pendingProposal(MODEL_ID);
    await networkHelpers.time.increaseTo(earliestActivation);
    const manager = await f.manager.getAddress();
    await networkHelpers.impersonateAccount(manager);
    await networkHelpers.setBalance(manager, 10n ** 18n);
    const asManager = await ethers.getSigner(manager);
    await expect(f.registry.connect(asManager).activate(MODEL_ID))
      .to.be.revertedWithCustomError(f.registry, "ModelRegistryRelayedCall")
      .withArgs(manager);
    await expect(f.registry.activate(MODEL_ID)).to.emit(f.registry, "VersionActivated");
  });
});
