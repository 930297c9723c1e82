/**
 * The payments bound to the version's epochs: their `Settled` events, their state now and what
 * the payer or payee can still do, their `Claimed` / `Refunded` events, and per-token totals
 * checked against the settlement's own `volume` counters.
 */
import { type Provider, getAddress } from "ethers";

import type { InferenceSettlement } from "../../types/ethers-contracts/index.js";
import {
  type SettledEventArgs,
  type SettlementDetails,
  detailsFromSettled,
} from "../chain/enums.js";
import { decodeFlags } from "../records/standing.js";
import { REFUND_REASONS, SETTLEMENT_STATES, isOpenState, nameOf } from "./names.js";
import { type LogReader, mapLimit, num, tokenMetadata, topicOfUint } from "./reads.js";
import type { ReportClaim, ReportPayment, ReportRefund, ReportTokenTotals } from "./types.js";

const CONCURRENCY = 8;

export interface PaymentFacts {
  payments: ReportPayment[];
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

/** A log as eth_getLogs returns it (ethers' Log has the same fields). */
export interface RawLog {
  topics: readonly string[];
  data: string;
  blockNumber: number | string;
  transactionHash: string;
}

const checksummed = new Map<string, string>();
/** getAddress, memoized: a few payers, payees and tokens recur across 10^5 payments. */
function addressOf(word: string): string {
  const hex = "0x" + word.slice(24);
  let a = checksummed.get(hex);
  if (a === undefined) {
    a = getAddress(hex);
    checksummed.set(hex, a);
  }
  return a;
}

/**
 * A `Settled` log as a report payment (state to be filled in) and its details, decoded by hand:
 * the event's three topics and eight data words (IInferenceSettlement.Settled), at a few
 * microseconds a log instead of an ABI decoder's tens (a network has 10^5 of them).
 */
export function paymentOfLog(
  log: RawLog,
): { payment: ReportPayment; details: SettlementDetails } | null {
  const d = log.data.startsWith("0x") ? log.data.slice(2) : log.data;
  if (log.topics.length !== 4 || d.length !== 8 * 64) return null;
  const word = (i: number) => d.slice(64 * i, 64 * i + 64);
  const big = (i: number) => BigInt("0x" + word(i));
  const details: SettlementDetails = {
    modelId: log.topics[2],
    epoch: BigInt(log.topics[3]),
    payer: addressOf(word(0)),
    requestId: "0x" + word(1),
    version: big(2),
    payee: addressOf(word(3)),
    token: addressOf(word(4)),
    amount: big(5),
    settledAt: big(6),
    releaseAt: big(7),
  };
  return {
    details,
    payment: {
      settlementId: log.topics[1],
      payer: details.payer,
      payee: details.payee,
      requestId: details.requestId,
      token: details.token,
      amount: details.amount.toString(),
      version: num(details.version),
      epoch: num(details.epoch),
      settledAt: num(details.settledAt),
      releaseAt: num(details.releaseAt),
      block: Number(log.blockNumber),
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

/**
 * A payment's committed details (what claim, refund, challenge and prove take), from the report's
 * own fields: every field of the `Settled` event is kept in it.
 */
export function detailsOf(modelId: string, p: ReportPayment): SettlementDetails {
  return {
    modelId,
    epoch: BigInt(p.epoch),
    payer: p.payer,
    requestId: p.requestId,
    version: BigInt(p.version),
    payee: p.payee,
    token: p.token,
    amount: BigInt(p.amount),
    settledAt: BigInt(p.settledAt),
    releaseAt: BigInt(p.releaseAt),
  };
}

/** Reads the payments bound to `ctx.epochs` and everything about them. */
export async function readPayments(ctx: PaymentContext): Promise<PaymentFacts> {
  const { settlement, reader } = ctx;
  const payments: ReportPayment[] = [];
  const settledTopic = settlement.interface.getEvent("Settled").topicHash;
  const settledLogs =
    ctx.epochs.length === 0
      ? []
      : await reader.rawLogsAnyOf(
          ctx.settlementAddress,
          [settledTopic, null, ctx.modelId, null],
          3,
          ctx.epochs.map(topicOfUint),
        );
  for (const log of settledLogs) {
    const read = paymentOfLog(log);
    if (read === null || read.payment.version !== ctx.version) continue; // defensive
    payments.push(read.payment);
  }
  const { refunds, claims } = await readLifecycle(ctx, payments);
  await fillStates(ctx, payments);
  const warnings = await checkStates(ctx, payments);
  const totals = await readTotals(ctx, payments, warnings);
  return { payments, refunds, claims, totals, warnings };
}

/**
 * For each open payment (its state from its events, see readLifecycle), what can happen to it,
 * by the settlement's own rules (IInferenceSettlement claim / refund, and its `proofDeadlineOf`).
 */
export async function fillStates(
  ctx: Pick<
    PaymentContext,
    "settlement" | "modelId" | "blockTag" | "readTime" | "faultyAt" | "pausedSince"
  >,
  payments: ReportPayment[],
): Promise<void> {
  const at = { blockTag: ctx.blockTag };
  await mapLimit(
    payments.filter((p) => p.state === "Contested"),
    CONCURRENCY,
    async (p) => {
      p.proofDeadline = num(await ctx.settlement.proofDeadlineOf(detailsOf(ctx.modelId, p), at));
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

/** How many payments' states are read back from the contract to check the events (a sample). */
export const STATE_SAMPLE = 32;

/**
 * Each payment's state from its events (one pass over the settlement's Contested, Proven,
 * Claimed and Refunded logs of the scan, matched by id: a few requests whatever the number of
 * payments): Open after Settled, then the state of its last event; its claim or refund; when it
 * was contested.
 */
export async function readLifecycle(
  ctx: Pick<PaymentContext, "settlement" | "settlementAddress" | "reader" | "afterClose">,
  payments: ReportPayment[],
): Promise<{ refunds: ReportRefund[]; claims: ReportClaim[] }> {
  const { settlement, reader } = ctx;
  const refunds: ReportRefund[] = [];
  const claims: ReportClaim[] = [];
  if (payments.length === 0) return { refunds, claims };
  const byId = new Map(payments.map((p) => [p.settlementId.toLowerCase(), p]));
  const topics = ["Contested", "Proven", "Claimed", "Refunded"].map(
    (name) => settlement.interface.getEvent(name as "Claimed").topicHash,
  );
  for (const log of await reader.logs(ctx.settlementAddress, [topics])) {
    const p = byId.get(log.topics[1].toLowerCase());
    if (p === undefined) continue;
    const parsed = settlement.interface.parseLog(log);
    if (parsed === null) continue;
    if (parsed.name === "Contested") {
      p.state = "Contested";
      p.contestedAt = await reader.timeOf(log.blockNumber);
      continue;
    }
    if (parsed.name === "Proven") {
      p.state = "Proven";
      continue;
    }
    const time = await reader.timeOf(log.blockNumber);
    const ref = {
      at: time,
      block: log.blockNumber,
      txHash: log.transactionHash,
      afterClose: ctx.afterClose(time),
    };
    if (parsed.name === "Refunded") {
      const flags = parsed.args.flags as bigint;
      p.state = "Refunded";
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
      p.state = "Claimed";
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

/**
 * The contract's own `stateOf` for a sample of the payments (every one when there are few), to
 * check the states read from the events: a difference is a warning (the audit is incomplete).
 */
export async function checkStates(
  ctx: Pick<PaymentContext, "settlement" | "blockTag" | "scanText">,
  payments: ReportPayment[],
): Promise<string[]> {
  const step = Math.max(1, Math.floor(payments.length / STATE_SAMPLE));
  const sample = payments.filter((_, i) => i % step === 0).slice(0, STATE_SAMPLE);
  const states = await mapLimit(sample, CONCURRENCY, (p) =>
    ctx.settlement.stateOf(p.settlementId, { blockTag: ctx.blockTag }),
  );
  const warnings: string[] = [];
  sample.forEach((p, i) => {
    const onChain = nameOf(SETTLEMENT_STATES, states[i]);
    if (onChain !== p.state) {
      warnings.push(
        `payment ${p.settlementId} reads ${p.state} from its events in ${ctx.scanText}, but the settlement says ${onChain}`,
      );
    }
  });
  return warnings;
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
