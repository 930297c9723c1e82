/**
 * Agents' actions bound to the version: logged while it was live (its live epoch is one of the
 * windows), or proven about an output it served, checked against the action log's counters.
 */
import { getAddress } from "ethers";

import type { AgentActionLog } from "../../types/ethers-contracts/index.js";
import { decodeFlags } from "../records/standing.js";
import { type LogReader, num } from "./reads.js";
import type { ReportAction } from "./types.js";

export interface ActionFacts {
  whileLive: ReportAction[];
  servedByVersion: ReportAction[];
  counters: { inLiveEpochs: number; servedByVersion: number };
  warnings: string[];
}

export async function readActions(ctx: {
  actionLog: AgentActionLog;
  actionLogAddress: string;
  reader: LogReader;
  modelId: string;
  version: number;
  epochs: number[];
  blockTag: number;
  afterClose: (t: number) => boolean;
  scanText: string;
}): Promise<ActionFacts> {
  const { actionLog, version } = ctx;
  const at = { blockTag: ctx.blockTag };
  const actionTopic = actionLog.interface.getEvent("ActionLogged").topicHash;
  const epochSet = new Set(ctx.epochs);
  const whileLive: ReportAction[] = [];
  const servedBy: ReportAction[] = [];
  for (const log of await ctx.reader.logs(ctx.actionLogAddress, [
    actionTopic,
    null,
    null,
    ctx.modelId,
  ])) {
    const parsed = actionLog.interface.parseLog(log);
    if (parsed === null) continue;
    const a = parsed.args.action;
    const liveV = num(a.liveVersion);
    const liveE = num(a.liveEpoch);
    const proven = a.proven as boolean;
    const loggedWhileLive = liveV === version && epochSet.has(liveE);
    const servedByVersion = proven && num(a.servedVersion) === version;
    if (!loggedWhileLive && !servedByVersion) continue;
    const flags = a.servedFlags as bigint;
    const loggedAt = num(a.loggedAt);
    const action: ReportAction = {
      id: num(parsed.args.actionId as bigint),
      agent: getAddress(a.agent as string),
      loggedAt,
      block: log.blockNumber,
      txHash: log.transactionHash,
      liveVersion: liveV,
      liveEpoch: liveE,
      proven,
      servedVersion: num(a.servedVersion),
      servedEpoch: num(a.servedEpoch),
      servedFlags: num(flags),
      flagNames: decodeFlags(flags),
      requestId: a.requestId as string,
      actionHash: a.actionHash as string,
      uri: parsed.args.uri as string,
      loggedWhileLive,
      servedByVersion,
      loggedAfterClose: ctx.afterClose(loggedAt),
    };
    if (loggedWhileLive) whileLive.push(action);
    if (servedByVersion) servedBy.push(action);
  }
  let inLiveEpochs = 0;
  for (const epoch of ctx.epochs) {
    inLiveEpochs += num(await actionLog.actionsInLiveEpoch(ctx.modelId, epoch, at));
  }
  const servedCounter = num(await actionLog.actionsServedByVersion(ctx.modelId, version, at));
  const warnings: string[] = [];
  if (inLiveEpochs !== whileLive.length) {
    warnings.push(
      `the action log counts ${inLiveEpochs} actions logged in the version's epochs; ${whileLive.length} were found in ${ctx.scanText}`,
    );
  }
  if (servedCounter !== servedBy.length) {
    warnings.push(
      `the action log counts ${servedCounter} proven actions served by version ${version}; ${servedBy.length} were found in ${ctx.scanText}`,
    );
  }
  return {
    whileLive,
    servedByVersion: servedBy,
    counters: { inLiveEpochs, servedByVersion: servedCounter },
    warnings,
  };
}

/** Actions by id, each once, in id order. */
export function uniqueActions(actions: ReportAction[]): ReportAction[] {
  const seen = new Map<number, ReportAction>();
  for (const a of actions) seen.set(a.id, a);
  return [...seen.values()].sort((a, b) => a.id - b.id);
}
