/**
 * The records claiming the version, from the batches whose evidence is verified, each verified
 * on-chain with its proof rebuilt from the batch's records (`verifyRecordWithHint` for a record
 * served in the past, with the epoch hint computed off-chain): its standing now, and as served.
 */
import type { InferenceAnchor, ModelRegistry } from "../../../types/ethers-contracts/index.js";
import { describeRevert, epochHint, type EpochHistory } from "../chain.js";
import { STANDINGS, decodeFlags, flagOf, standingAt } from "../standing.js";
import type { ObtainedBatch } from "./evidence.js";
import { inAnyWindow, mapLimit, num } from "./reads.js";
import type { ReportRecord, ReportWindow, ServedWhen } from "./types.js";

const VERIFY_CONCURRENCY = 8;
const VERSION_MARK_FLAGS = flagOf("VersionFaulty") | flagOf("VersionWithdrawn");

/** The primary standing of `flags` (lowest set bit), Conforming for none. */
export function primaryOf(flags: bigint): string {
  for (let i = 1; i < STANDINGS.length; i++) {
    if ((flags >> BigInt(i)) & 1n) return STANDINGS[i].name;
  }
  return "Conforming";
}

export interface RecordContext {
  anchor: InferenceAnchor;
  registry: ModelRegistry;
  modelId: string;
  version: number;
  windows: ReportWindow[];
  blockTag: number;
  readTime: number;
  afterClose: (t: number) => boolean;
}

/** Verifies the records of `obtained` that claim the version; in batch order, then index. */
export async function verifyVersionRecords(
  ctx: RecordContext,
  obtained: ObtainedBatch[],
): Promise<{ items: ReportRecord[]; errors: string[] }> {
  const at = { blockTag: ctx.blockTag };
  const history: EpochHistory = {
    epochAt: (m, t) => ctx.registry.epochAt(m, t, at),
    epochCount: (m) => ctx.registry.epochCount(m, at),
    getEpoch: (m, e) => ctx.registry.getEpoch(m, e, at),
  };
  const model = ctx.modelId.toLowerCase();
  const items: ReportRecord[] = [];
  const errors: string[] = [];
  for (const o of obtained) {
    const claiming: number[] = [];
    for (let i = 0; i < o.records.count; i++) {
      const r = o.records.get(i);
      if (r.version === ctx.version && r.modelId === model) claiming.push(i);
    }
    o.batch.recordsOfVersion = claiming.length;
    const verified = await mapLimit(claiming, VERIFY_CONCURRENCY, async (i) => {
      const r = o.records.get(i);
      const served: ServedWhen = inAnyWindow(r.servedAt, ctx.windows)
        ? "live"
        : ctx.afterClose(r.servedAt)
          ? "after-close"
          : "outside-windows";
      const item: ReportRecord = {
        source: o.from,
        root: o.batch.root,
        index: i,
        requestId: r.requestId,
        agent: r.agent,
        node: r.node,
        servedAt: r.servedAt,
        served,
        anchoredAt: o.batch.anchoredAt,
        included: null,
        flags: null,
        flagNames: [],
        standing: null,
        servedStanding: null,
        liveVersionThen: null,
        error: null,
      };
      const proof = o.tree.proof(i);
      try {
        let result: [boolean, bigint, bigint];
        if (r.servedAt < ctx.readTime && r.servedAt <= o.batch.anchoredAt) {
          const hint = await epochHint(history, ctx.modelId, r.servedAt);
          result = await ctx.anchor.verifyRecordWithHint(
            ctx.modelId,
            o.batch.root,
            r,
            proof,
            hint,
            at,
          );
          item.liveVersionThen = num(await ctx.registry.versionAt(ctx.modelId, r.servedAt, at));
        } else {
          result = await ctx.anchor.verifyRecord(ctx.modelId, o.batch.root, r, proof, at);
        }
        const [included, flags, primary] = result;
        item.included = included;
        item.flags = num(flags);
        item.flagNames = decodeFlags(flags);
        item.standing = standingAt(primary).name;
        item.servedStanding = primaryOf(flags & ~VERSION_MARK_FLAGS);
      } catch (e) {
        item.error = describeRevert(e, [ctx.anchor.interface, ctx.registry.interface]);
        errors.push(
          `record ${i} of batch ${o.batch.root} (${o.from}): verification reverted: ${item.error}`,
        );
      }
      if (item.included === false) {
        errors.push(
          `record ${i} of batch ${o.batch.root} (${o.from}): read NotIncluded under its own anchored root`,
        );
      }
      return item;
    });
    items.push(...verified);
  }
  return { items, errors };
}
