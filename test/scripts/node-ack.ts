/**
 * `npm run node:ack` (src/node/routing.ts acknowledgeLive): a node acknowledges the live epoch
 * once; again is reported and sends nothing; a pause, a non-operator, the CLI's bad input are one
 * line each.
 */
import { expect } from "chai";
import { network } from "hardhat";

import { CliError } from "../../src/ground/cli.js";
import { acknowledgeLive } from "../../src/node/routing.js";
import type { NodeRouting } from "../../types/ethers-contracts/index.js";
import { MODEL_ID, deployAnchor, type AnchorFixture } from "../helpers/anchor-fixture.js";
import { ROOT, expectOneLineError, runScript } from "../helpers/cli-run.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;

async function fixture(): Promise<AnchorFixture & { routing: NodeRouting }> {
  const f = await deployAnchor(connection);
  const routing = (await ethers.deployContract("NodeRouting", [
    await f.registry.getAddress(),
    await f.anchor.getAddress(),
  ])) as unknown as NodeRouting;
  return { ...f, routing };
}

async function failure(run: Promise<unknown>): Promise<string> {
  try {
    await run;
  } catch (e) {
    expect(e).to.be.instanceOf(CliError);
    return (e as Error).message;
  }
  return expect.fail("expected a CliError");
}

describe("npm run node:ack", function () {
  after(async function () {
    await connection.close();
  });

  it("acknowledges the live epoch once; a second run reports it and sends nothing", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const [version, epoch] = await f.registry.live(MODEL_ID);
    const first = await acknowledgeLive(f.routing, f.registry, f.node, MODEL_ID, "alpha");
    expect([first.status, first.node, first.epoch, first.version]).to.deep.equal([
      "acknowledged",
      f.node.address,
      epoch,
      version,
    ]);
    expect(first.at).to.equal(await f.routing.acknowledgedAt(MODEL_ID, f.node.address, epoch));
    const blocks = await ethers.provider.getBlockNumber();
    const again = await acknowledgeLive(f.routing, f.registry, f.node, MODEL_ID, "alpha");
    expect([again.status, again.at, again.txHash]).to.deep.equal([
      "already-acknowledged",
      first.at,
      undefined,
    ]);
    expect(await ethers.provider.getBlockNumber()).to.equal(blocks);
  });

  it("refuses a non-operator and a paused model with one line, sending nothing", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    expect(
      await failure(acknowledgeLive(f.routing, f.registry, f.agent, MODEL_ID, "alpha")),
    ).to.equal(
      `acknowledging would revert: NodeRoutingNotOperator(modelId=${MODEL_ID}, node=${f.agent.address}); nothing was sent`,
    );
    await (await f.registry.connect(f.guardian).pause(MODEL_ID)).wait();
    expect(
      await failure(acknowledgeLive(f.routing, f.registry, f.node, MODEL_ID, "alpha")),
    ).to.equal("model alpha has nothing live (paused): there is no epoch to acknowledge");
    expect(await f.routing.acknowledgementCount(MODEL_ID, f.node.address)).to.equal(0n);
  });

  it("the command line: bad arguments are one line, exit 1", async function () {
    this.timeout(120_000);
    expectOneLineError(
      await runScript("node-ack.ts", ROOT, ["--network", "x"]),
      "node:ack",
      /^node:ack: missing --model /,
    );
    expectOneLineError(
      await runScript("node-ack.ts", ROOT, ["--model", "m", "--network", "nowhere"]),
      "node:ack",
      /network/,
    );
  });
});
