/**
 * Payments meet the service they paid for. For each payment bound to the version: the payee's
 * records of that request in the verified batches (or why none can be shown), and what the payer
 * and the payee can still do, by the settlement's own answer (the calls simulated at the read
 * block from the party that would send them: no rule is re-implemented here). And the payments
 * bound to another version whose request was served under this one (a stale node paid through
 * payments bound to the version live after the rollback), with the same answers.
 */
import type { Provider } from "ethers";

import type { InferenceSettlement, ModelRegistry } from "../../types/ethers-contracts/index.js";
import { isRevertError } from "../chain/rpc-retry.js";
import type { InferenceRecord } from "../records/record.js";
import { type Found, serviceKey } from "./collect.js";
import { isOpenState } from "./names.js";
import { checkStates, detailsOf, fillStates, paymentOfLog, readLifecycle } from "./payments.js";
import { type LogReader, mapLimit, num, topicOfUint } from "./reads.js";
import type { ReportBatch, ReportPayment } from "./types.js";

const CONCURRENCY = 8;

export interface ServiceContext {
  provider: Provider;
  settlement: InferenceSettlement;
  settlementAddress: string;
  registry: ModelRegistry;
  reader: LogReader;
  modelId: string;
  version: number;
  /** The version's epochs (its own payments are bound to them). */
  epochs: number[];
  blockTag: number;
  readTime: number;
  payments: ReportPayment[];
  /** The payees' records by (node, agent, requestId), from the collector. */
  found: Map<string, Found[]>;
  /** Settlement ids of the version's records not served while it was live. */
  notLiveIds: Set<string>;
  batches: ReportBatch[];
  /** Where the states of the other-version payments that disagree with the contract go. */
  warnings: string[];
  /** A record of a verified batch and its proof, obtained again (when not kept in memory). */
  reload: (root: string, index: number) => Promise<{ record: InferenceRecord; proof: string[] }>;
}

/**
 * Whether a challenge or a proof may still be tried for `p` at `now`, by the settlement's time
 * rules (state from its events): a challenge before `releaseAt`; a proof of an open payment
 * before release, or of a contested one before its proof deadline. Only then is a call simulated.
 */
export function mayAct(p: ReportPayment, now: number): boolean {
  if (p.state === "Contested") return now < (p.proofDeadline ?? Number.POSITIVE_INFINITY);
  return (p.state === "Open" || p.state === "Proven") && now < p.releaseAt;
}

/**
 * Fills `service` of every payment bound to the version, and returns the payments bound to
 * another version whose request a record claiming this version served.
 */
export async function linkService(ctx: ServiceContext): Promise<ReportPayment[]> {
  // Only payments to the node whose own record served the request under this version.
  const other = (await otherVersionPayments(ctx)).filter((p) =>
    ctx.found.has(serviceKey(p.payee, p.payer, p.requestId)),
  );
  await mapLimit([...ctx.payments, ...other], CONCURRENCY, (p) => fillService(ctx, p));
  return other;
}

async function otherVersionPayments(ctx: ServiceContext): Promise<ReportPayment[]> {
  const mine = new Set(ctx.payments.map((p) => p.settlementId.toLowerCase()));
  const wanted = new Set([...ctx.notLiveIds].filter((id) => !mine.has(id)));
  if (wanted.size === 0) return [];
  // The Settled logs of the model's other epochs (a few requests, whatever the number of
  // records), matched by id in memory: a payment's id is keccak256(payer, requestId).
  const count = num(await ctx.registry.epochCount(ctx.modelId, { blockTag: ctx.blockTag }));
  const epochs: string[] = [];
  for (let e = 1; e <= count; e++) if (!ctx.epochs.includes(e)) epochs.push(topicOfUint(e));
  if (epochs.length === 0) return [];
  const topic = ctx.settlement.interface.getEvent("Settled").topicHash;
  const logs = await ctx.reader.rawLogsAnyOf(
    ctx.settlementAddress,
    [topic, null, ctx.modelId, null],
    3,
    epochs,
  );
  const out: ReportPayment[] = [];
  for (const log of logs) {
    if (!wanted.has(log.topics[1].toLowerCase())) continue;
    const read = paymentOfLog(log);
    if (read === null || read.payment.version === ctx.version) continue;
    out.push(read.payment);
  }
  await readLifecycle({ ...ctx, afterClose: () => false }, out);
  // Each bound version has its own fault and pause: the states are judged per version.
  for (const v of new Set(out.map((p) => p.version))) {
    const [faultyAt, pausedSince] = await ctx.registry.releaseState(ctx.modelId, v, {
      blockTag: ctx.blockTag,
    });
    await fillStates(
      {
        settlement: ctx.settlement,
        modelId: ctx.modelId,
        blockTag: ctx.blockTag,
        readTime: ctx.readTime,
        faultyAt: num(faultyAt),
        pausedSince: num(pausedSince),
      },
      out.filter((p) => p.version === v),
    );
  }
  ctx.warnings.push(...(await checkStates({ ...ctx, scanText: "the scan" }, out)));
  return out;
}

/**
 * Whether the settlement accepts `data` sent by `from` at the read block (an eth_call: nothing
 * is sent). A revert is "no"; any other failure is not an answer and is thrown.
 */
async function accepts(ctx: ServiceContext, from: string, data: string): Promise<boolean> {
  try {
    await ctx.provider.call({ to: ctx.settlementAddress, from, data, blockTag: ctx.blockTag });
    return true;
  } catch (e) {
    // ethers calls every failed eth_call CALL_EXCEPTION: only a revert is the contract's "no".
    if (isRevertError(e)) return false;
    throw e;
  }
}

async function fillService(ctx: ServiceContext, p: ReportPayment): Promise<void> {
  const found = ctx.found.get(serviceKey(p.payee, p.payer, p.requestId)) ?? [];
  const payeeIncomplete = ctx.batches.some(
    (b) => b.node === p.payee && b.evidence.status !== "verified",
  );
  const service: NonNullable<ReportPayment["service"]> = {
    records: found.map((f) => f.item),
    found: found.length > 0 ? "found" : payeeIncomplete ? "unknown" : "none",
    payerCan: [],
    payeeCan: [],
  };
  p.service = service;
  if (!isOpenState(p.state)) return;
  const d = detailsOf(ctx.modelId, p);
  if (p.openStatus === "refundable")
    service.payerCan.push("refund (the version's fault counts from before release)");
  if (p.openStatus === "unproven")
    service.payerCan.push("refundUnproven (the proof deadline passed)");
  if (p.openStatus === "claimable") service.payeeCan.push("claim");
  if (!mayAct(p, ctx.readTime)) return;
  for (const f of found) {
    if (f.proof === null || f.record === null) {
      const again = await ctx.reload(f.item.root, f.item.index);
      f.record = again.record;
      f.proof = again.proof;
    }
    if (f.record === null || f.proof === null) continue;
    const where = `record ${f.item.index} of batch ${f.item.root}`;
    const iface = ctx.settlement.interface;
    const challenge = iface.encodeFunctionData("challenge", [
      d,
      f.item.root,
      f.record,
      f.proof,
      p.payer,
    ]);
    const prove = iface.encodeFunctionData("prove", [d, f.item.root, f.record, f.proof]);
    if (await accepts(ctx, p.payer, challenge)) service.payerCan.push(`challenge with ${where}`);
    if (p.state !== "Proven" && (await accepts(ctx, p.payee, prove))) {
      service.payeeCan.push(`prove with ${where}`);
    }
  }
}
