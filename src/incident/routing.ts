/**
 * The report's routing section: for each operator the model ever had (its anchor's
 * `OperatorSet` events, read from block 0: operators are usually set long before an incident),
 * every acknowledgement it made on NodeRouting (the contract's own views at the read block), when
 * it switched away from the version (its first acknowledgement of a later epoch), its lag after
 * the close, and, counted by the record collector, the stale records it served after the close
 * and after its own switch (a node that acknowledged the next epoch but kept serving the old
 * version contradicts itself; reported here, not as an on-chain standing: the anchor's
 * verification is unchanged).
 */
import { getAddress, type Provider } from "ethers";

import type { InferenceAnchor, NodeRouting } from "../../types/ethers-contracts/index.js";
import { LogReader, num } from "./reads.js";
import type { BlockTime, ReportRouting, ReportWindow } from "./types.js";

/** Reads the routing section (records not yet counted: see RecordCollector's routing counts). */
export async function readRouting(ctx: {
  provider: Provider;
  routing: NodeRouting;
  anchor: InferenceAnchor;
  anchorAddress: string;
  modelId: string;
  blockTag: number;
  blockRange: number;
  windows: ReportWindow[];
  closedAt: BlockTime | null;
}): Promise<ReportRouting> {
  const at = { blockTag: ctx.blockTag };
  const reader = new LogReader(ctx.provider, 0, ctx.blockTag, ctx.blockRange);
  const topic = ctx.anchor.interface.getEvent("OperatorSet").topicHash;
  const allowed = new Map<string, boolean>();
  for (const log of await reader.rawLogs(ctx.anchorAddress, [topic, ctx.modelId])) {
    const node = getAddress("0x" + log.topics[2].slice(26));
    allowed.set(node, BigInt(log.data) !== 0n);
  }
  const lastEpoch = ctx.windows[ctx.windows.length - 1]?.epoch ?? 0;
  const nodes = [];
  for (const [node, isOperator] of [...allowed.entries()].sort()) {
    const count = await ctx.routing.acknowledgementCount(ctx.modelId, node, at);
    const acks = (await ctx.routing.acknowledgementsOf(ctx.modelId, node, 0, count, at)).map(
      // Positional: an ethers Result is an Array, so `a.at` would be Array.prototype.at.
      (a) => ({ epoch: num(a[0]), at: num(a[1]) }),
    );
    const switched = ctx.closedAt === null ? undefined : acks.find((a) => a.epoch > lastEpoch);
    nodes.push({
      node,
      operator: isOperator,
      acknowledgements: acks,
      routable: await ctx.routing.isRoutable(ctx.modelId, node, at),
      switchedAt: switched?.at ?? null,
      switchedTo: switched?.epoch ?? null,
      lagSeconds:
        switched === undefined || ctx.closedAt === null ? null : switched.at - ctx.closedAt.time,
      staleAfterClose: 0,
      staleAfterOwnSwitch: 0,
      paymentsAfterClose: 0,
    });
  }
  return { contract: getAddress(await ctx.routing.getAddress()), nodes };
}
