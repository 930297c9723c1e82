/**
 * npm run incident -- --model NAME|0x… --version V --network NAME [--from-block N]
 *                     [--block-range N] [--batch DIR ...] [--json]
 *                     [--anchor ADDRESS] [--settlement ADDRESS] [--action-log ADDRESS]
 *
 * After an incident, proves from the chain what happened while a version was live: its record,
 * windows and incidents, the payments bound to its epochs (claimed, refunded, open), the agents'
 * actions logged while it was live or proven about its outputs, the batches anchored and disputed,
 * and, with the nodes' batch directories (`--batch`, repeatable), every record claiming the version
 * verified on-chain: conforming while live, Unconfirmable when anchored late, NotLive for a stale
 * node that kept serving it after the rollback. See scripts/lib/incident.ts.
 *
 * The contracts come from the Ignition deployment of that chain, or --anchor (the registry is the
 * anchor's), --settlement and --action-log. Events are read by eth_getLogs from --from-block
 * (default: the block the version's first window opened in), --block-range blocks per request.
 * Prints the report in words, or as JSON with --json. Exit 0 with a report, 1 with one line on
 * stderr on any error.
 */
import type { Provider } from "ethers";

import { main, userPath } from "./lib/cli.js";
import { connectTool } from "./lib/connect.js";
import {
  formatIncidentReport,
  incidentContracts,
  incidentReport,
  incidentReportJson,
  parseIncidentArgs,
} from "./lib/incident.js";

const NAME = "incident";

main(NAME, async () => {
  const request = parseIncidentArgs(process.argv.slice(2));
  const batchDirs = request.batchDirs.map((d) => userPath(d, NAME));
  const tool = await connectTool(request.network, request.overrides.anchor);
  try {
    const { settlement, actionLog } = await incidentContracts(
      tool,
      request.overrides,
      request.network,
    );
    const report = await incidentReport({
      provider: tool.ethers.provider as unknown as Provider,
      registry: tool.registry,
      anchor: tool.anchor,
      settlement,
      actionLog,
      modelId: request.model.id,
      modelName: request.model.name,
      version: request.version,
      fromBlock: request.fromBlock,
      blockRange: request.blockRange,
      batchDirs,
      batchNames: request.batchDirs,
    });
    process.stdout.write(
      (request.json ? incidentReportJson(report) : formatIncidentReport(report)) + "\n",
    );
  } finally {
    await tool.close();
  }
});
