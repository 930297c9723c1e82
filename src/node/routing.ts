/**
 * What `npm run node:ack` does, apart from argument parsing and the network connection: a node
 * acknowledges the live epoch of a model on NodeRouting (see contracts/NodeRouting.sol).
 */
import type { Signer } from "ethers";

import type { ModelRegistry, NodeRouting } from "../../types/ethers-contracts/index.js";
import { describeFailedSend, describeRevert } from "../chain/chain.js";
import { fail } from "../ground/cli.js";

/** How the node stands after `acknowledgeLive`. */
export interface AckOutcome {
  status: "acknowledged" | "already-acknowledged";
  node: string;
  epoch: bigint;
  version: bigint;
  at: bigint;
  txHash?: string;
  gasUsed?: bigint;
}

/**
 * Acknowledges, as `signer`, the live epoch of `modelId`, unless it did already (then reports it
 * and sends nothing). Nothing live (a pause) is one line, and so is a call that would revert
 * (simulated first: nothing is sent); a failed transaction leaves nothing behind.
 */
export async function acknowledgeLive(
  routing: NodeRouting,
  registry: ModelRegistry,
  signer: Signer,
  modelId: string,
  label = modelId,
): Promise<AckOutcome> {
  const node = await signer.getAddress();
  const [version, epoch, paused] = await registry.live(modelId);
  if (epoch === 0n) {
    fail(
      `model ${label} has nothing live${paused ? " (paused)" : ""}: there is no epoch to acknowledge`,
    );
  }
  const at = await routing.acknowledgedAt(modelId, node, epoch);
  if (at !== 0n) return { status: "already-acknowledged", node, epoch, version, at };
  const asNode = routing.connect(signer);
  try {
    await asNode.acknowledge.staticCall(modelId, epoch);
  } catch (e) {
    fail(`acknowledging would revert: ${describeRevert(e, [routing.interface])}; nothing was sent`);
  }
  let receipt;
  try {
    receipt = await (await asNode.acknowledge(modelId, epoch)).wait();
  } catch (e) {
    const why = await describeFailedSend(e, [routing.interface], signer.provider);
    fail(`the acknowledgement failed: ${why}; run again`);
  }
  if (receipt === null) fail("the acknowledgement has no receipt; run again");
  return {
    status: "acknowledged",
    node,
    epoch,
    version,
    at: await routing.acknowledgedAt(modelId, node, epoch),
    txHash: receipt.hash,
    gasUsed: receipt.gasUsed,
  };
}
