/**
 * npm run incident -- --model NAME|0x… --version V --network NAME [--from-block N]
 *                     [--block-range N] [--batch DIR ...] [--source SPEC ...] [--store DIR]
 *                     [--labels FILE] [--json | --summary] [--out DIR] [--quiet]
 *                     [--accept-incomplete] [--anchor ADDRESS] [--settlement ADDRESS]
 *                     [--action-log ADDRESS]
 * npm run incident -- check DIR --network NAME [--source SPEC ...] [--store DIR] [--quiet]
 *
 * After an incident, proves from the chain and the records' storage what happened while a
 * version was live (see src/incident/index.ts): printed in words (or --json, or only the
 * --summary), and with --out DIR written as a dossier (report.json, records.jsonl,
 * payments.jsonl, actions.jsonl, report.md, report.html). `check DIR` derives a dossier again
 * from the chain and storage and prints every difference.
 *
 * Batch files are found by their anchored reference in the local store (--store, default
 * TRAIL_STORE or .trail/store), then in each --source (dir:PATH, an https URL with {ref} or
 * {cid}); --batch directories are matched by node and root. Every read is retried on a
 * transient RPC failure. Progress goes to stderr (a bar on a terminal), none with --quiet.
 *
 * Exit codes: 0 a complete report (or a dossier that checks clean); 3 a report with evidence
 * problems or warnings (0 with --accept-incomplete); 4 a dossier that differs from the chain;
 * 1 one line on stderr on any error (a node that stays away included: no report then).
 */
import { main, userPath } from "../src/ground/cli.js";
import { connectTool } from "../src/chain/connect.js";
import { formatIncidentReport, incidentReport, incidentReportJson } from "../src/incident/index.js";
import {
  EXIT_DIFFERS,
  EXIT_INCOMPLETE,
  parseCheckArgs,
  parseIncidentArgs,
  readLabels,
} from "../src/incident/args.js";
import { writeDossier } from "../src/incident/dossier.js";
import { checkDossierAt, evidenceOptions, guarded, readContext } from "../src/incident/run.js";
import { defaultStoreDir, parseSource } from "../src/store/index.js";

const NAME = "incident";

const sourcesOf = (specs: string[]) =>
  specs.map((spec) =>
    parseSource(spec.startsWith("dir:") ? `dir:${userPath(spec.slice(4), NAME)}` : spec),
  );
const storeOf = (store: string | undefined) =>
  store === undefined ? defaultStoreDir() : userPath(store, NAME);

main(NAME, async () => {
  const argv = process.argv.slice(2);
  if (argv[0] === "check") {
    const request = parseCheckArgs(argv.slice(1));
    const dir = userPath(request.dir, NAME);
    const evidence = evidenceOptions(
      sourcesOf(request.sources),
      storeOf(request.store),
      request.quiet,
      "check",
    );
    const tool = await connectTool(request.network, request.overrides.anchor);
    try {
      const context = await readContext(tool, request.overrides, request.network);
      const { differences } = await checkDossierAt(dir, tool.chainId, context, evidence);
      for (const d of differences) process.stdout.write(`${d}\n`);
      if (differences.length === 0) {
        process.stdout.write(`${NAME}: ${request.dir} checks clean against the chain\n`);
      } else {
        process.stderr.write(
          `${NAME}: ${request.dir} differs from the chain in ${differences.length} place(s): exit ${EXIT_DIFFERS}\n`,
        );
        process.exitCode = EXIT_DIFFERS;
      }
    } finally {
      await tool.close();
    }
    return;
  }

  const request = parseIncidentArgs(argv);
  const batchDirs = request.batchDirs.map((d) => userPath(d, NAME));
  const labels =
    request.labelsFile === undefined
      ? {}
      : readLabels(userPath(request.labelsFile, NAME), request.labelsFile);
  const { done, ...evidence } = evidenceOptions(
    sourcesOf(request.sources),
    storeOf(request.store),
    request.quiet,
    "incident",
  );
  const tool = await connectTool(request.network, request.overrides.anchor);
  try {
    const context = await readContext(tool, request.overrides, request.network);
    const options = {
      ...context.base,
      ...evidence,
      modelId: request.model.id,
      modelName: request.model.name,
      version: request.version,
      fromBlock: request.fromBlock,
      blockRange: request.blockRange,
      batchDirs,
      batchNames: request.batchDirs,
      labels,
    };
    const report = await guarded(context.unavailable, () =>
      request.out === undefined
        ? incidentReport(options)
        : writeDossier(
            userPath(request.out, NAME),
            (recordSink) => incidentReport({ ...options, recordSink }),
            request.out,
          ),
    );
    done();
    process.stdout.write(
      (request.json
        ? incidentReportJson(report)
        : formatIncidentReport(report, { summaryOnly: request.summary })) + "\n",
    );
    if (request.out !== undefined) {
      process.stdout.write(`${NAME}: the dossier is in ${request.out}\n`);
    }
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
