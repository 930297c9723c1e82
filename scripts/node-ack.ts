/**
 * npm run node:ack -- --model NAME|0x… --network NAME [--routing ADDRESS] [--anchor ADDRESS]
 *
 * For node operators: after switching to a model's live version, acknowledge its live epoch on
 * NodeRouting from the network's first account (the node's operator account). An epoch
 * acknowledged already is reported and nothing is sent; nothing live (a pause) or a call that
 * would revert (not an operator) is one line and nothing is sent. Exit 0 when the live epoch is
 * acknowledged (now or before), 1 on any error.
 */
import type { NodeRouting } from "../types/ethers-contracts/index.js";
import { resolveAddress } from "../src/chain/chain.js";
import { fail, main, parseCliArgs, requireOption } from "../src/ground/cli.js";
import { connectTool } from "../src/chain/connect.js";
import { parseModelId } from "../src/governance/gov.js";
import { acknowledgeLive } from "../src/node/routing.js";

const NAME = "node:ack";
const USAGE =
  "npm run node:ack -- --model NAME|0x… --network NAME [--routing ADDRESS] [--anchor ADDRESS]";

main(NAME, async () => {
  const args = parseCliArgs(
    {
      model: { type: "string" },
      network: { type: "string" },
      routing: { type: "string" },
      anchor: { type: "string" },
    },
    USAGE,
  );
  const model = parseModelId(requireOption(args.model, "--model", USAGE));
  const networkName = requireOption(args.network, "--network", USAGE);
  const tool = await connectTool(networkName, args.anchor);
  try {
    const address = resolveAddress("NodeRouting", tool.chainId, args.routing, "--routing");
    if ((await tool.ethers.provider.getCode(address)) === "0x") {
      fail(`no contract at ${address} (NodeRouting) on network ${networkName}`);
    }
    const routing = (await tool.ethers.getContractAt(
      "NodeRouting",
      address,
    )) as unknown as NodeRouting;
    const [signer] = await tool.ethers.getSigners();
    if (signer === undefined) fail(`network ${networkName} has no account configured`);
    const label = model.name ?? model.id;
    const o = await acknowledgeLive(routing, tool.registry, signer, model.id, label);
    const when = new Date(Number(o.at) * 1000).toISOString();
    process.stdout.write(
      o.status === "already-acknowledged"
        ? `${NAME}: node ${o.node} acknowledged epoch ${o.epoch} (v${o.version}) of model ${label} already, at ${o.at} (${when}); nothing was sent\n`
        : `${NAME}: node ${o.node} acknowledged epoch ${o.epoch} (v${o.version}) of model ${label} at ${o.at} (${when}) in tx ${o.txHash} (gas ${o.gasUsed})\n`,
    );
  } finally {
    await tool.close();
  }
});
