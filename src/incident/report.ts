/**
 * Builds the incident report: reads the chain at one block, gathers the batches' evidence,
 * verifies the records, and assembles the plain-data report (see ./index.ts for the whole story).
 */
import { getAddress, isAddress } from "ethers";

import { fail } from "../ground/cli.js";
import { DEFAULT_BLOCK_RANGE } from "../deploy/deployment.js";
import { readActions, uniqueActions } from "./actions.js";
import { readBatches } from "./batches.js";
import { gatherEvidence } from "./evidence.js";
import { readPayments } from "./payments.js";
import { LogReader, num } from "./reads.js";
import { readRegistrySnapshot } from "./classify.js";
import { RecordCollector, serviceKey } from "./collect.js";
import { reloader } from "./reload.js";
import { mayAct } from "./service.js";
import { crossCheck } from "./onchain.js";
import { readRouting } from "./routing.js";
import { linkService } from "./service.js";
import type {
  BlockTime,
  EvidenceProblem,
  IncidentReport,
  IncidentReportOptions,
  ReportWindow,
} from "./types.js";
import { readVersionFacts } from "./version.js";

/** Records claiming the version kept in the report (the rest go to the sink, e.g. records.jsonl). */
export const DEFAULT_RECORDS_IN_MEMORY = 10_000;
/** Records cross-checked on-chain per report (off-chain standings against the contract's). */
export const DEFAULT_ONCHAIN_SAMPLE = 32;

/**
 * Builds the incident report of `version` of `modelId`. Throws a CliError (one line) for an
 * unknown model or version, a bad block range, or a read that failed; evidence that could not be
 * obtained or trusted is not an error: it is listed in `problems` and `complete` is false.
 */
export async function incidentReport(options: IncidentReportOptions): Promise<IncidentReport> {
  const phase = phaseTimer();
  const { provider, registry, anchor, settlement, actionLog, modelId, version } = options;
  if (!Number.isSafeInteger(version) || version < 1 || version >= 2 ** 32) {
    fail(`the version must be a whole number from 1, got ${version}`);
  }
  const range = options.blockRange ?? DEFAULT_BLOCK_RANGE;
  if (!Number.isSafeInteger(range) || range < 1) {
    fail(`the block range must be a positive whole number, got ${range}`);
  }
  const latest = await provider.getBlockNumber();
  const toBlock = options.toBlock ?? latest;
  if (!Number.isSafeInteger(toBlock) || toBlock < 0 || toBlock > latest) {
    fail(`the last block ${toBlock} is not in 0..${latest}`);
  }
  const blockTag = toBlock;
  const readBlock = await provider.getBlock(toBlock);
  if (readBlock === null) fail(`block ${toBlock} is not available`);
  const readAt: BlockTime = { block: toBlock, time: readBlock.timestamp };
  const { chainId } = await provider.getNetwork();
  const contracts = {
    registry: getAddress(await registry.getAddress()),
    anchor: getAddress(await anchor.getAddress()),
    settlement: getAddress(await settlement.getAddress()),
    actionLog: getAddress(await actionLog.getAddress()),
  };

  phase("start");
  const facts = await readVersionFacts(
    provider,
    registry,
    modelId,
    options.modelName ?? modelId,
    version,
    blockTag,
  );
  const { windows, closedAt } = facts;
  const afterClose = (t: number) => closedAt !== null && t >= closedAt.time;

  const fromBlock = options.fromBlock ?? windows[0]?.startBlock ?? toBlock;
  if (!Number.isSafeInteger(fromBlock) || fromBlock < 0 || fromBlock > toBlock) {
    fail(`the first block ${fromBlock} is not in 0..${toBlock}`);
  }
  const reader = new LogReader(provider, fromBlock, toBlock, range);
  const scanText = `blocks ${fromBlock}-${toBlock}`;
  const epochs = windows.map((w) => w.epoch);
  const [, pausedSince] = await registry.releaseState(modelId, version, { blockTag });

  phase("version");
  const paid = await readPayments({
    provider,
    settlement,
    settlementAddress: contracts.settlement,
    reader,
    modelId,
    version,
    epochs,
    blockTag,
    readTime: readAt.time,
    faultyAt: facts.versionRecord.faultyAt,
    pausedSince: num(pausedSince),
    afterClose,
    scanText,
  });
  phase("payments");
  const actions = await readActions({
    actionLog,
    actionLogAddress: contracts.actionLog,
    reader,
    modelId,
    version,
    epochs,
    blockTag,
    afterClose,
    scanText,
  });
  phase("actions");
  const batches = await readBatches({
    anchor,
    anchorAddress: contracts.anchor,
    reader,
    modelId,
    windows,
    afterClose,
  });
  phase("batches");
  const routing =
    options.routing === undefined
      ? null
      : await readRouting({
          provider,
          routing: options.routing,
          anchor,
          anchorAddress: contracts.anchor,
          modelId,
          blockTag,
          blockRange: range,
          windows,
          closedAt,
        });
  options.onBatchesKnown?.(batches.length);
  const snapshot = await readRegistrySnapshot(registry, modelId, blockTag);
  const collector = new RecordCollector({
    snapshot,
    modelId,
    version,
    windows,
    afterClose,
    wanted: new Map(
      paid.payments.map((p) => [serviceKey(p.payee, p.payer, p.requestId), mayAct(p, readAt.time)]),
    ),
    cap: options.recordsInMemory ?? DEFAULT_RECORDS_IN_MEMORY,
    sample: options.onChainSample ?? DEFAULT_ONCHAIN_SAMPLE,
    sink: options.recordSink,
    notLiveInMemory: options.notLiveInMemory,
    switchedAt: new Map(
      (routing?.nodes ?? [])
        .filter((n) => n.switchedAt !== null)
        .map((n) => [n.node, n.switchedAt!]),
    ),
  });
  const evidence = await gatherEvidence({
    anchor,
    modelId,
    blockTag,
    batches,
    dirs: (options.batchDirs ?? []).map((path, i) => ({
      path,
      name: options.batchNames?.[i] ?? path,
    })),
    sources: options.sources ?? [],
    cache: options.cache,
    onObtained: (o) => collector.add(o),
    onSettled: options.onBatchSettled,
  });
  phase("evidence");
  const mismatches = await crossCheck(
    { anchor, registry, modelId, blockTag, readTime: readAt.time },
    collector.sampled,
  );
  const items = collector.items;
  const problems = [
    ...scanProblems(windows, fromBlock),
    ...evidence.problems,
    ...collector.foreign.map((message) => ({ kind: "foreign-records" as const, message })),
    ...mismatches.map((message) => ({ kind: "verification" as const, message })),
  ];
  phase("crossCheck");
  const serviceWarnings: string[] = [];
  const other = await linkService({
    provider,
    settlement,
    settlementAddress: contracts.settlement,
    registry,
    reader,
    modelId,
    version,
    blockTag,
    readTime: readAt.time,
    payments: paid.payments,
    epochs,
    found: collector.found,
    notLiveIds: collector.notLiveIds,
    batches,
    warnings: serviceWarnings,
    reload: reloader({
      batches,
      dirs: (options.batchDirs ?? []).map((path, i) => ({
        path,
        name: options.batchNames?.[i] ?? path,
      })),
      modelId,
      sources: options.sources ?? [],
      cache: options.cache,
    }),
  });
  phase("service");
  for (const n of routing?.nodes ?? []) {
    const c = collector.staleByNode.get(n.node);
    n.staleAfterClose = c?.afterClose ?? 0;
    n.staleAfterOwnSwitch = c?.afterOwnSwitch ?? 0;
    n.paymentsAfterClose =
      paid.claims.filter((x) => x.afterClose && x.payee === n.node).length +
      other.filter((p) => p.payee === n.node).length;
  }
  const warnings = [...paid.warnings, ...actions.warnings, ...serviceWarnings];
  const verifiedCount = batches.filter((b) => b.evidence.status === "verified").length;
  const missingCount = batches.filter((b) => b.evidence.status === "missing").length;

  return {
    model: { id: modelId.toLowerCase(), name: options.modelName ?? null },
    version,
    chainId: num(chainId),
    contracts,
    readAt,
    scan: { fromBlock, toBlock, blockRange: range, requests: reader.requests },
    versionRecord: facts.versionRecord,
    live: facts.live,
    windows,
    closedAt,
    incidents: facts.incidents,
    payments: paid.payments,
    otherVersionPayments: other,
    totals: paid.totals,
    refunds: paid.refunds,
    claims: paid.claims,
    actions: {
      whileLive: actions.whileLive,
      servedByVersion: actions.servedByVersion,
      counters: actions.counters,
    },
    batches,
    records: {
      dirs: evidence.dirs,
      total: collector.total,
      items,
      truncated: collector.total > items.length,
      whileLive: collector.whileLive,
      afterClose: collector.afterClose,
      outsideWindows: collector.outsideWindows,
      byStanding: collector.byStanding,
      byServedStanding: collector.byServedStanding,
      checkedOnChain: collector.sampled.length,
    },
    evidence: {
      batches: batches.length,
      verified: verifiedCount,
      missing: missingCount,
      unavailable: batches.filter((b) => b.evidence.status === "unavailable").length,
      corrupt: batches.filter((b) => b.evidence.status === "corrupt").length,
      notProduced: evidence.notProduced,
    },
    afterClose:
      closedAt === null
        ? null
        : {
            since: closedAt,
            staleRecords: collector.stale,
            batches: batches.filter((b) => b.anchoredAfterClose),
            refunds: paid.refunds.filter((r) => r.afterClose),
            claims: paid.claims.filter((c) => c.afterClose),
            actions: uniqueActions([...actions.whileLive, ...actions.servedByVersion]).filter(
              (a) => a.loggedAfterClose,
            ),
          },
    problems,
    warnings,
    complete: problems.length === 0 && warnings.length === 0,
    labels: normalizeLabels(options.labels),
    routing,
  };
}

/**
 * A scan that starts after the version's first window opened cannot see every payment and batch
 * bound to it: whatever the counters say, the audit is incomplete.
 */
function scanProblems(windows: ReportWindow[], fromBlock: number): EvidenceProblem[] {
  const first = windows[0]?.startBlock;
  if (first === undefined || fromBlock <= first) return [];
  return [
    {
      kind: "scan",
      message:
        `the scan starts at block ${fromBlock}, after the version's first window opened ` +
        `(block ${first}): payments and batches before it are not seen`,
    },
  ];
}

/** With INCIDENT_PHASES set, each phase's duration and memory on stderr (for profiling). */
function phaseTimer(): (name: string) => void {
  if (process.env.INCIDENT_PHASES === undefined) return () => {};
  let last = performance.now();
  return (name) => {
    const now = performance.now();
    const mb = Math.round(process.memoryUsage.rss() / (1 << 20));
    process.stderr.write(
      `incident phase ${name}: ${((now - last) / 1000).toFixed(2)} s, rss ${mb} MB\n`,
    );
    last = now;
  };
}

function normalizeLabels(labels: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [address, name] of Object.entries(labels ?? {})) {
    if (isAddress(address)) out[getAddress(address)] = name;
  }
  return out;
}
