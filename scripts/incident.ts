/**
 * npm run incident -- --model NAME|0x… --version V --network NAME [--from-block N]
 *                     [--block-range N] [--batch DIR ...] [--source SPEC ...] [--store DIR]
 *                     [--labels FILE] [--json | --summary] [--accept-incomplete]
 *                     [--anchor ADDRESS] [--settlement ADDRESS] [--action-log ADDRESS]
 *
 * After an incident, proves from the chain and the records' storage what happened while a
 * version was live: its windows and incidents, the payments bound to its epochs and the service
 * they paid for, the agents' actions, every batch anchored that bears on it with its evidence
 * status (verified, missing, corrupt), and every record claiming the version in the verified
 * batches, verified on-chain. See scripts/lib/incident/index.ts.
 *
 * Batch files are found by their anchored reference in the local store (--store, default
 * TRAIL_STORE or .trail/store), then in each --source (dir:PATH, an https URL with {ref} or
 * {cid}); --batch directories are matched by node and root. Every read is retried on a
 * transient RPC failure.
 *
 * Exit codes: 0 a complete report; 3 a report with evidence problems or warnings (printed, and
 * listed under EVIDENCE PROBLEMS), 0 with --accept-incomplete; 1 one line on stderr on any error
 * (a node that stays away included: no report is printed then).
 */
import { BrowserProvider, type Provider } from "ethers";

import type {
  AgentActionLog,
  InferenceAnchor,
  InferenceSettlement,
  ModelRegistry,
} from "../types/ethers-contracts/index.js";
import { main, userPath } from "./lib/cli.js";
import { connectTool } from "./lib/connect.js";
import {
  EXIT_INCOMPLETE,
  formatIncidentReport,
  incidentContracts,
  incidentReport,
  incidentReportJson,
  parseIncidentArgs,
  readLabels,
} from "./lib/incident/index.js";
import { type Eip1193Provider, retryingProvider } from "./lib/rpc-retry.js";
import { ContentStore, defaultStoreDir, parseSource } from "./lib/store/index.js";

const NAME = "incident";

main(NAME, async () => {
  const request = parseIncidentArgs(process.argv.slice(2));
  const batchDirs = request.batchDirs.map((d) => userPath(d, NAME));
  const sources = request.sources.map((spec) =>
    parseSource(spec.startsWith("dir:") ? `dir:${userPath(spec.slice(4), NAME)}` : spec),
  );
  const cache = new ContentStore(
    request.store === undefined ? defaultStoreDir() : userPath(request.store, NAME),
  );
  const labels =
    request.labelsFile === undefined
      ? {}
      : readLabels(userPath(request.labelsFile, NAME), request.labelsFile);
  const tool = await connectTool(request.network, request.overrides.anchor);
  const retrying = retryingProvider(tool.eip1193 as Eip1193Provider);
  try {
    const { settlement, actionLog } = await incidentContracts(
      tool,
      request.overrides,
      request.network,
    );
    // Every read goes through the retrying provider: a blip is retried, never reported as an
    // answer of the chain.
    const provider = new BrowserProvider(retrying, Number(tool.chainId), { staticNetwork: true });
    let report;
    try {
      report = await incidentReport({
        provider: provider as unknown as Provider,
        registry: tool.registry.connect(provider) as ModelRegistry,
        anchor: tool.anchor.connect(provider) as InferenceAnchor,
        settlement: settlement.connect(provider) as InferenceSettlement,
        actionLog: actionLog.connect(provider) as AgentActionLog,
        modelId: request.model.id,
        modelName: request.model.name,
        version: request.version,
        fromBlock: request.fromBlock,
        blockRange: request.blockRange,
        batchDirs,
        batchNames: request.batchDirs,
        sources,
        cache,
        labels,
      });
    } catch (e) {
      throw retrying.unavailable ?? e;
    }
    // A read that failed for good inside a step that tolerates failure still means unseen evidence.
    if (retrying.unavailable !== undefined) throw retrying.unavailable;
    process.stdout.write(
      (request.json
        ? incidentReportJson(report)
        : formatIncidentReport(report, { summaryOnly: request.summary })) + "\n",
    );
    if (!report.complete && !request.acceptIncomplete) {
      process.stderr.write(
        `${NAME}: the audit is incomplete (${report.problems.length} evidence problems, ` +
          `${report.warnings.length} warnings; see EVIDENCE PROBLEMS): exit ${EXIT_INCOMPLETE} ` +
          `(--accept-incomplete to exit 0)\n`,
      );
      process.exitCode = EXIT_INCOMPLETE;
    }
  } finally {
    await tool.close();
  }
});
