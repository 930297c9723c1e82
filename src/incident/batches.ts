/**
 * The batches that bear on the version, from the chain alone (whether or not their records can
 * be obtained): every `BatchAnchored` of the model whose served range overlaps one of the
 * version's windows, that was anchored while the version was live, or that was anchored after
 * one of its windows closed (a stale node's batch names no version on-chain, so every later
 * batch of the model may hold records claiming it: after the last close, and in the gaps
 * between windows, as during a pause), with their `BatchDisputed` events.
 */
import { getAddress } from "ethers";

import type { InferenceAnchor } from "../../types/ethers-contracts/index.js";
import { type LogReader, inAnyWindow, num, overlapsWindow } from "./reads.js";
import type { ReportBatch, ReportWindow } from "./types.js";

/** The key of a batch: the anchor keys batches by (model, operator, root). */
export function batchKey(node: string, root: string): string {
  return `${getAddress(node)}:${root.toLowerCase()}`;
}

export async function readBatches(ctx: {
  anchor: InferenceAnchor;
  anchorAddress: string;
  reader: LogReader;
  modelId: string;
  windows: ReportWindow[];
  afterClose: (t: number) => boolean;
}): Promise<ReportBatch[]> {
  const { anchor, reader, windows } = ctx;
  const closes = windows.filter((w) => w.endTime !== null && w.endBlock !== null);
  const firstCloseBlock = closes.length === 0 ? null : Math.min(...closes.map((w) => w.endBlock!));
  const firstCloseTime = closes.length === 0 ? null : Math.min(...closes.map((w) => w.endTime!));
  const anchoredTopic = anchor.interface.getEvent("BatchAnchored").topicHash;
  const disputedTopic = anchor.interface.getEvent("BatchDisputed").topicHash;
  const batches: ReportBatch[] = [];
  for (const log of await reader.logs(ctx.anchorAddress, [anchoredTopic, ctx.modelId])) {
    const parsed = anchor.interface.parseLog(log);
    if (parsed === null) continue;
    const first = num(parsed.args.firstServedAt as bigint);
    const lastServed = num(parsed.args.lastServedAt as bigint);
    const coversWindow = overlapsWindow(first, lastServed, windows);
    // Cheap tests first: only batches that may bear on the version need their block's time.
    const mayBeLive = windows.some(
      (w) =>
        !w.neverLive &&
        log.blockNumber >= w.startBlock &&
        (w.endBlock === null || log.blockNumber <= w.endBlock),
    );
    const mayBeAfter = firstCloseBlock !== null && log.blockNumber >= firstCloseBlock;
    if (!coversWindow && !mayBeLive && !mayBeAfter) continue;
    const anchoredAt = await reader.timeOf(log.blockNumber);
    const anchoredWhileLive = inAnyWindow(anchoredAt, windows);
    const anchoredAfterClose = ctx.afterClose(anchoredAt);
    const afterAClose = firstCloseTime !== null && anchoredAt >= firstCloseTime;
    if (!coversWindow && !anchoredWhileLive && !afterAClose) continue;
    batches.push({
      root: (parsed.args.root as string).toLowerCase(),
      node: getAddress(parsed.args.operator as string),
      count: num(parsed.args.count as bigint),
      firstServedAt: first,
      lastServedAt: lastServed,
      anchoredAt,
      block: log.blockNumber,
      txHash: log.transactionHash,
      fileRef: (parsed.args.fileRef as string).toLowerCase(),
      anchoredWhileLive,
      coversWindow,
      anchoredAfterClose,
      disputes: [],
      evidence: { status: "missing", from: null, corrupt: [], attempts: [] },
      recordsOfVersion: null,
    });
  }
  if (batches.length === 0) return batches;
  const byBatch = new Map(batches.map((b) => [batchKey(b.node, b.root), b]));
  for (const log of await reader.logs(ctx.anchorAddress, [disputedTopic, ctx.modelId])) {
    const parsed = anchor.interface.parseLog(log);
    if (parsed === null) continue;
    const b = byBatch.get(batchKey(parsed.args.operator as string, parsed.args.root as string));
    if (b === undefined) continue;
    b.disputes.push({
      index: num(parsed.args.disputeIndex as bigint),
      by: getAddress(parsed.args.by as string),
      at: await reader.timeOf(log.blockNumber),
      block: log.blockNumber,
      reasonHash: parsed.args.reasonHash as string,
      reasonURI: parsed.args.reasonURI as string,
      txHash: log.transactionHash,
    });
  }
  return batches;
}
