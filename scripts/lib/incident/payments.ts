/**
 * The payments bound to the version's epochs: their `Settled` events, their state now and what
 * the payer or payee can still do, their `Claimed` / `Refunded` events, and per-token totals
 * checked against the settlement's own `volume` counters.
 */
import { type Provider, getAddress } from "ethers";

import type { InferenceSettlement } from "../../../types/ethers-contracts/index.js";
import { type SettledEventArgs, type SettlementDetails, detailsFromSettled } from "../enums.js";
import { decodeFlags } from "../standing.js";
import { REFUND_REASONS, SETTLEMENT_STATES, isOpenState, nameOf } from "./names.js";
import { type LogReader, mapLimit, num, tokenMetadata, topicOfUint } from "./reads.js";
import type { ReportClaim, ReportPayment, ReportRefund, ReportTokenTotals } from "./types.js";

const CONCURRENCY = 8;

export interface PaymentFacts {
  payments: ReportPayment[];
  /** The committed details of every payment read, by settlement id. */
  detailsById: Map<string, SettlementDetails>;
  refunds: ReportRefund[];
  claims: ReportClaim[];
  totals: ReportTokenTotals[];
  warnings: string[];
}

export interface PaymentContext {
  provider: Provider;
  settlement: InferenceSettlement;
  settlementAddress: string;
  reader: LogReader;
  modelId: string;
  version: number;
  epochs: number[];
  blockTag: number;
  readTime: number;
  /** When the version's fault counts from (0: not Faulty) and since when it is paused (0). */
  faultyAt: number;
  pausedSince: number;
  afterClose: (t: number) => boolean;
  scanText: string;
}

/** A Settled log as a report payment (state to be filled in), with its details. */
export function paymentOfLog(
  settlement: InferenceSettlement,
  log: import("ethers").Log,
): { payment: ReportPayment; details: SettlementDetails } | null {
  const parsed = settlement.interface.parseLog(log);
  if (parsed === null) return null;
  const d = detailsFromSettled(parsed.args as unknown as SettledEventArgs);
  return {
    details: d,
    payment: {
      settlementId: parsed.args.settlementId as string,
      payer: getAddress(d.payer),
      payee: getAddress(d.payee),
      requestId: d.requestId as string,
      token: getAddress(d.token),
      amount: (d.amount as bigint).toString(),
      version: num(d.version),
      epoch: num(d.epoch),
      settledAt: num(d.settledAt),
      releaseAt: num(d.releaseAt),
      block: log.blockNumber,
      txHash: log.transactionHash,
      state: "Open",
      openStatus: null,
      contestedAt: null,
      proofDeadline: null,
      claim: null,
      refund: null,
      service: null,
    },
  };
}

/** Reads the payments bound to `ctx.epochs` and everything about them. */
export async function readPayments(ctx: PaymentContext): Promise<PaymentFacts> {
  const { settlement, reader } = ctx;
  const payments: ReportPayment[] = [];
  const detailsById = new Map<string, SettlementDetails>();
  const settledTopic = settlement.interface.getEvent("Settled").topicHash;
  const settledLogs =
    ctx.epochs.length === 0
      ? []
      : await reader.logsAnyOf(
          ctx.settlementAddress,
          [settledTopic, null, ctx.modelId, null],
          3,
          ctx.epochs.map(topicOfUint),
        );
  for (const log of settledLogs) {
    const read = paymentOfLog(settlement, log);
    if (read === null || read.payment.version !== ctx.version) continue; // defensive
    detailsById.set(read.payment.settlementId, read.details);
    payments.push(read.payment);
  }
  await fillStates(ctx, payments, detailsById);
  await readContests(ctx, payments);
  const { refunds, claims } = await readClosings(ctx, payments);
  const warnings: string[] = [];
  for (const p of payments) {
    if ((p.state === "Claimed" && p.claim === null) || (p.state === "Refunded" && !p.refund)) {
      warnings.push(
        `payment ${p.settlementId} is ${p.state} but its event was not found in ${ctx.scanText}`,
      );
    }
  }
  const totals = await readTotals(ctx, payments, warnings);
  return { payments, detailsById, refunds, claims, totals, warnings };
}

/**
 * Each payment's state now and, for an open one, what can happen to it, by the settlement's own
 * rules (IInferenceSettlement claim / refund, and its `proofDeadlineOf`).
 */
export async function fillStates(
  ctx: Pick<PaymentContext, "settlement" | "blockTag" | "readTime" | "faultyAt" | "pausedSince">,
  payments: ReportPayment[],
  detailsById: Map<string, SettlementDetails>,
): Promise<void> {
  const at = { blockTag: ctx.blockTag };
  const states = await mapLimit(payments, CONCURRENCY, (p) =>
    ctx.settlement.stateOf(p.settlementId, at),
  );
  payments.forEach((p, i) => (p.state = nameOf(SETTLEMENT_STATES, states[i])));
  await mapLimit(
    payments.filter((p) => p.state === "Contested"),
    CONCURRENCY,
    async (p) => {
      p.proofDeadline = num(
        await ctx.settlement.proofDeadlineOf(detailsById.get(p.settlementId)!, at),
      );
    },
  );
  for (const p of payments) {
    if (!isOpenState(p.state)) continue;
    const contested = p.state === "Contested";
    const deadline = p.proofDeadline ?? 0;
    p.openStatus =
      ctx.faultyAt !== 0 && ctx.faultyAt < p.releaseAt
        ? "refundable"
        : ctx.pausedSince !== 0 && ctx.pausedSince < p.releaseAt
          ? "paused"
          : contested && ctx.readTime >= deadline
            ? "unproven"
            : contested
              ? "contested"
              : ctx.readTime >= p.releaseAt
                ? "claimable"
                : "held";
  }
}

/** When each contested payment was contested (its `Contested` event). */
export async function readContests(
  ctx: Pick<PaymentContext, "settlement" | "settlementAddress" | "reader">,
  payments: ReportPayment[],
): Promise<void> {
  const contested = payments.filter((p) => p.state === "Contested");
  if (contested.length === 0) return;
  const byId = new Map(contested.map((p) => [p.settlementId.toLowerCase(), p]));
  const topic = ctx.settlement.interface.getEvent("Contested").topicHash;
  for (const log of await ctx.reader.logsAnyOf(
    ctx.settlementAddress,
    [topic],
    1,
    contested.map((p) => p.settlementId),
  )) {
    const p = byId.get(log.topics[1].toLowerCase());
    if (p !== undefined) p.contestedAt = await ctx.reader.timeOf(log.blockNumber);
  }
}

async function readClosings(
  ctx: PaymentContext,
  payments: ReportPayment[],
): Promise<{ refunds: ReportRefund[]; claims: ReportClaim[] }> {
  const { settlement, reader } = ctx;
  const byId = new Map(payments.map((p) => [p.settlementId, p]));
  const closedIds = payments.filter((p) => !isOpenState(p.state)).map((p) => p.settlementId);
  const refunds: ReportRefund[] = [];
  const claims: ReportClaim[] = [];
  if (closedIds.length === 0) return { refunds, claims };
  const refundedTopic = settlement.interface.getEvent("Refunded").topicHash;
  const claimedTopic = settlement.interface.getEvent("Claimed").topicHash;
  for (const log of await reader.logsAnyOf(
    ctx.settlementAddress,
    [[refundedTopic, claimedTopic]],
    1,
    closedIds,
  )) {
    const parsed = settlement.interface.parseLog(log);
    if (parsed === null) continue;
    const p = byId.get(parsed.args.settlementId as string);
    if (p === undefined) continue;
    const time = await reader.timeOf(log.blockNumber);
    const ref = {
      at: time,
      block: log.blockNumber,
      txHash: log.transactionHash,
      afterClose: ctx.afterClose(time),
    };
    if (parsed.name === "Refunded") {
      const flags = parsed.args.flags as bigint;
      p.refund = {
        settlementId: p.settlementId,
        payer: getAddress(parsed.args.payer as string),
        to: getAddress(parsed.args.to as string),
        token: p.token,
        amount: (parsed.args.amount as bigint).toString(),
        reason: nameOf(REFUND_REASONS, parsed.args.reason as bigint),
        flags: num(flags),
        flagNames: decodeFlags(flags),
        ...ref,
      };
      refunds.push(p.refund);
    } else {
      p.claim = {
        settlementId: p.settlementId,
        payee: getAddress(parsed.args.payee as string),
        to: getAddress(parsed.args.to as string),
        token: p.token,
        amount: (parsed.args.amount as bigint).toString(),
        ...ref,
      };
      claims.push(p.claim);
    }
  }
  return { refunds, claims };
}

/** Per token: volume() over the epochs, and the payments' states now. */
async function readTotals(
  ctx: PaymentContext,
  payments: ReportPayment[],
  warnings: string[],
): Promise<ReportTokenTotals[]> {
  const at = { blockTag: ctx.blockTag };
  const tokens = [...new Set(payments.map((p) => p.token))].sort();
  const totals: ReportTokenTotals[] = [];
  for (const token of tokens) {
    const meta = await tokenMetadata(ctx.provider, token);
    let settledCount = 0n;
    let settledAmount = 0n;
    let refundedCount = 0n;
    let refundedAmount = 0n;
    for (const epoch of ctx.epochs) {
      const vol = await ctx.settlement.volume(ctx.modelId, epoch, token, at);
      settledCount += vol.settledCount;
      settledAmount += vol.settledAmount;
      refundedCount += vol.refundedCount;
      refundedAmount += vol.refundedAmount;
    }
    const mine = payments.filter((p) => p.token === token);
    const sum = (list: ReportPayment[]) => list.reduce((s, p) => s + BigInt(p.amount), 0n);
    const claimed = mine.filter((p) => p.state === "Claimed");
    const open = mine.filter((p) => isOpenState(p.state));
    totals.push({
      token,
      ...meta,
      settledCount: num(settledCount),
      settledAmount: settledAmount.toString(),
      refundedCount: num(refundedCount),
      refundedAmount: refundedAmount.toString(),
      claimedCount: claimed.length,
      claimedAmount: sum(claimed).toString(),
      openCount: open.length,
      openAmount: sum(open).toString(),
    });
    if (num(settledCount) !== mine.length) {
      warnings.push(
        `volume() counts ${settledCount} payments in ${meta.symbol ?? token} bound to the version's epochs; ${mine.length} Settled events were found in ${ctx.scanText}`,
      );
    }
  }
  return totals;
}
