/**
 * The on-chain cross-check: a random sample of the records classified off-chain is verified by
 * the contract itself (`verifyRecordWithHint` for a record served before its anchoring, with the
 * epoch hint computed off-chain; `verifyRecord` otherwise). Any difference is an evidence problem:
 * the report never silently trusts its own reimplementation of the rules.
 */
import type { InferenceAnchor, ModelRegistry } from "../../types/ethers-contracts/index.js";
import { describeRevert, epochHint, type EpochHistory } from "../chain/chain.js";
import { decodeFlags } from "../records/standing.js";
import type { Sampled } from "./collect.js";
import { mapLimit } from "./reads.js";

const CONCURRENCY = 8;

export interface OnChainContext {
  anchor: InferenceAnchor;
  registry: ModelRegistry;
  modelId: string;
  blockTag: number;
  readTime: number;
}

/** The contract's flags for one record of a batch (its proof rebuilt from the batch's records). */
export async function verifyOnChain(
  ctx: OnChainContext,
  root: string,
  s: Pick<Sampled, "record" | "proof">,
  anchoredAt: number,
): Promise<{ included: boolean; flags: bigint }> {
  const at = { blockTag: ctx.blockTag };
  const r = s.record;
  if (r.servedAt < ctx.readTime && r.servedAt <= anchoredAt) {
    const history: EpochHistory = {
      epochAt: (m, t) => ctx.registry.epochAt(m, t, at),
      epochCount: (m) => ctx.registry.epochCount(m, at),
      getEpoch: (m, e) => ctx.registry.getEpoch(m, e, at),
    };
    const hint = await epochHint(history, ctx.modelId, r.servedAt);
    const [included, flags] = await ctx.anchor.verifyRecordWithHint(
      ctx.modelId,
      root,
      r,
      s.proof,
      hint,
      at,
    );
    return { included, flags };
  }
  const [included, flags] = await ctx.anchor.verifyRecord(ctx.modelId, root, r, s.proof, at);
  return { included, flags };
}

/** Verifies `sampled` on-chain; returns one problem line per record whose answer differs. */
export async function crossCheck(ctx: OnChainContext, sampled: Sampled[]): Promise<string[]> {
  const problems: string[] = [];
  await mapLimit(sampled, CONCURRENCY, async (s) => {
    const where = `record ${s.item.index} of batch ${s.root} (${s.item.source})`;
    try {
      const got = await verifyOnChain(ctx, s.root, s, s.item.anchoredAt);
      if (!got.included) problems.push(`${where}: reads NotIncluded on-chain under its own root`);
      else if (Number(got.flags) !== s.item.flags) {
        problems.push(
          `${where}: the contract answers ${decodeFlags(got.flags).join(" + ") || "Conforming"}, ` +
            `the off-chain standing was ${s.item.flagNames.join(" + ") || "Conforming"}`,
        );
      }
    } catch (e) {
      problems.push(
        `${where}: verification reverted: ${describeRevert(e, [ctx.anchor.interface, ctx.registry.interface])}`,
      );
    }
  });
  return problems.sort();
}
