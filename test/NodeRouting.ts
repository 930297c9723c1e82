/**
 * NodeRouting: operators acknowledge the live epoch they serve; every acknowledgement kept, in
 * order, with its block time; the views; every refusal with its custom error and arguments.
 */
import { expect } from "chai";
import { network } from "hardhat";

import type { NodeRouting } from "../types/ethers-contracts/index.js";
import {
  Disposition,
  MODEL_ID,
  OTHER_MODEL_ID,
  deployAnchor,
  inOneBlock,
  minedAt,
  rollbackTo,
  sendRollback,
  type AnchorFixture,
} from "./helpers/anchor-fixture.js";

const connection = await network.getOrCreate();
const { ethers, networkHelpers } = connection;

interface RoutingFixture extends AnchorFixture {
  routing: NodeRouting;
}

async function routingFixture(): Promise<RoutingFixture> {
  const f = await deployAnchor(connection);
  const routing = (await ethers.deployContract("NodeRouting", [
    await f.registry.getAddress(),
    await f.anchor.getAddress(),
  ])) as unknown as NodeRouting;
  return { ...f, routing };
}

const load = () => networkHelpers.loadFixture(routingFixture);

describe("NodeRouting", function () {
  describe("acknowledge", function () {
    it("records the live epoch with its block time, emits EpochAcknowledged, and makes the node routable", async function () {
      const f = await load();
      const [version, epoch] = await f.registry.live(MODEL_ID);
      expect(await f.routing.isRoutable(MODEL_ID, f.node.address)).to.equal(false);
      const tx = f.routing.connect(f.node).acknowledge(MODEL_ID, epoch);
      const at = await minedAt(tx);
      await expect(tx)
        .to.emit(f.routing, "EpochAcknowledged")
        .withArgs(MODEL_ID, f.node.address, epoch, version, at);
      expect(await f.routing.lastAcknowledged(MODEL_ID, f.node.address)).to.deep.equal([epoch, at]);
      expect(await f.routing.acknowledgedAt(MODEL_ID, f.node.address, epoch)).to.equal(at);
      expect(await f.routing.isRoutable(MODEL_ID, f.node.address)).to.equal(true);
      expect(await f.routing.isRoutable(MODEL_ID, f.secondNode.address)).to.equal(false);
    });

    it("keeps every acknowledgement across a rollback, in order; the node is stale until it acknowledges the new epoch", async function () {
      const f = await load();
      const [, e2] = await f.registry.live(MODEL_ID);
      const t2 = await minedAt(f.routing.connect(f.node).acknowledge(MODEL_ID, e2));
      await rollbackTo(f.registry, f.guardian, MODEL_ID, 1, Disposition.Faulty);
      const [, e3] = await f.registry.live(MODEL_ID);
      expect(await f.routing.isRoutable(MODEL_ID, f.node.address)).to.equal(false);
      await networkHelpers.time.increase(3600);
      const t3 = await minedAt(f.routing.connect(f.node).acknowledge(MODEL_ID, e3));
      expect(await f.routing.acknowledgementCount(MODEL_ID, f.node.address)).to.equal(2n);
      expect(await f.routing.acknowledgementsOf(MODEL_ID, f.node.address, 0, 10)).to.deep.equal([
        [e2, t2],
        [e3, t3],
      ]);
      expect(await f.routing.acknowledgementsOf(MODEL_ID, f.node.address, 1, 1)).to.deep.equal([
        [e3, t3],
      ]);
      expect(await f.routing.acknowledgementsOf(MODEL_ID, f.node.address, 5, 1)).to.deep.equal([]);
      expect(await f.routing.acknowledgedAt(MODEL_ID, f.node.address, e2)).to.equal(t2);
      expect(await f.routing.acknowledgedAt(MODEL_ID, f.node.address, e2 + 5n)).to.equal(0n);
      expect(await f.routing.isRoutable(MODEL_ID, f.node.address)).to.equal(true);
    });

    it("accepts the new epoch in the same block as the rollback that opened it", async function () {
      const f = await load();
      const [, e2] = await f.registry.live(MODEL_ID);
      const at = BigInt(await networkHelpers.time.latest()) + 10n;
      await inOneBlock(connection, at, [
        () =>
          sendRollback(f.registry, f.guardian, MODEL_ID, 1, Disposition.Faulty, {
            gasLimit: 2_000_000,
          }),
        () => f.routing.connect(f.node).acknowledge(MODEL_ID, e2 + 1n, { gasLimit: 200_000 }),
      ]);
      expect(await f.routing.lastAcknowledged(MODEL_ID, f.node.address)).to.deep.equal([
        e2 + 1n,
        at,
      ]);
    });

    it("refuses a non-operator, another epoch, a pause, a repeat, with their arguments; nothing changes", async function () {
      const f = await load();
      const [, epoch] = await f.registry.live(MODEL_ID);
      await expect(f.routing.connect(f.agent).acknowledge(MODEL_ID, epoch))
        .to.be.revertedWithCustomError(f.routing, "NodeRoutingNotOperator")
        .withArgs(MODEL_ID, f.agent.address);
      // An operator of another model only.
      await expect(f.routing.connect(f.otherNode).acknowledge(MODEL_ID, epoch))
        .to.be.revertedWithCustomError(f.routing, "NodeRoutingNotOperator")
        .withArgs(MODEL_ID, f.otherNode.address);
      await expect(f.routing.connect(f.node).acknowledge(MODEL_ID, epoch - 1n))
        .to.be.revertedWithCustomError(f.routing, "NodeRoutingNotLive")
        .withArgs(MODEL_ID, epoch - 1n, epoch);
      await expect(f.routing.connect(f.node).acknowledge(MODEL_ID, epoch + 1n))
        .to.be.revertedWithCustomError(f.routing, "NodeRoutingNotLive")
        .withArgs(MODEL_ID, epoch + 1n, epoch);
      const at = await minedAt(f.routing.connect(f.node).acknowledge(MODEL_ID, epoch));
      await expect(f.routing.connect(f.node).acknowledge(MODEL_ID, epoch))
        .to.be.revertedWithCustomError(f.routing, "NodeRoutingAlreadyAcknowledged")
        .withArgs(MODEL_ID, f.node.address, epoch, at);
      await (await f.registry.connect(f.guardian).pause(MODEL_ID)).wait();
      await expect(f.routing.connect(f.secondNode).acknowledge(MODEL_ID, epoch))
        .to.be.revertedWithCustomError(f.routing, "NodeRoutingNotLive")
        .withArgs(MODEL_ID, epoch, 0);
      expect(await f.routing.isRoutable(MODEL_ID, f.node.address)).to.equal(false);
      expect(await f.routing.acknowledgementCount(MODEL_ID, f.node.address)).to.equal(1n);
      expect(await f.routing.acknowledgementCount(MODEL_ID, f.secondNode.address)).to.equal(0n);
      // After the resume, the new epoch is acknowledged; the old one stays.
      await (await f.registry.connect(f.guardian).resume(MODEL_ID)).wait();
      const [, resumed] = await f.registry.live(MODEL_ID);
      await (await f.routing.connect(f.node).acknowledge(MODEL_ID, resumed)).wait();
      expect(await f.routing.acknowledgedAt(MODEL_ID, f.node.address, epoch)).to.equal(at);
      expect(await f.routing.isRoutable(MODEL_ID, f.node.address)).to.equal(true);
    });

    it("a model with nothing live has nothing to acknowledge; a removed operator's acknowledgements stay but it is not routable", async function () {
      const f = await load();
      const [, otherEpoch] = await f.registry.live(OTHER_MODEL_ID);
      await (await f.routing.connect(f.otherNode).acknowledge(OTHER_MODEL_ID, otherEpoch)).wait();
      expect(await f.routing.isRoutable(OTHER_MODEL_ID, f.otherNode.address)).to.equal(true);
      await (
        await f.anchor.connect(f.governor).setOperator(OTHER_MODEL_ID, f.otherNode.address, false)
      ).wait();
      expect(await f.routing.acknowledgementCount(OTHER_MODEL_ID, f.otherNode.address)).to.equal(
        1n,
      );
      // Removed, it is not routable, although its acknowledgement of the live epoch stays.
      expect(await f.routing.lastAcknowledged(OTHER_MODEL_ID, f.otherNode.address)).to.deep.equal([
        otherEpoch,
        await f.routing.acknowledgedAt(OTHER_MODEL_ID, f.otherNode.address, otherEpoch),
      ]);
      expect(await f.routing.isRoutable(OTHER_MODEL_ID, f.otherNode.address)).to.equal(false);
      await (await f.registry.connect(f.guardian).pause(OTHER_MODEL_ID)).wait();
      expect(await f.routing.isRoutable(OTHER_MODEL_ID, f.otherNode.address)).to.equal(false);
      expect(await f.routing.lastAcknowledged(MODEL_ID, f.agent.address)).to.deep.equal([0n, 0n]);
    });
  });
});
