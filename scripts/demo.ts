/**
 * npm run demo   (hardhat run scripts/demo.ts: compiles if needed, then runs in-process)
 *
 * The rollback trail in one story, on Hardhat's in-process network (no node, no network access):
 * real Safe v1.5.0 multisigs govern the suite; a model's v2 goes live, serves, is paid for and
 * acted on; it misbehaves and the guardian Safe rolls it back to v1 as Faulty; a stale node keeps
 * serving v2, payers refund, an agent logs an action about an output v2 served before the
 * rollback; it anchors one more batch and withholds its file. Then the one command that proves
 * what happened while v2 was live: the incident report (src/incident/, what
 * `npm run incident` prints), with the withheld batch listed as missing.
 *
 * The story is scripts/demo/scenario.ts (the tests replay it). Deterministic: fixed values and
 * block times. Batch files go to a temporary directory, removed at the end; the only output kept
 * is the dossier in .trail/demo/dossier (git-ignored), replaced on each run. Exit 0, or 1 with one
 * line on stderr.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";

import { network } from "hardhat";

import { errorLine } from "../src/ground/cli.js";
import {
  DOSSIER_FILES,
  formatIncidentReport,
  incidentReport,
  writeDossier,
} from "../src/incident/index.js";
import { parseSource } from "../src/store/index.js";
import { DEMO_MODEL, runScenario } from "./demo/scenario.js";

const print = (line: string) => process.stdout.write(`${line}\n`);

const work = mkdtempSync(join(tmpdir(), "rollback-trail-demo-"));
/** Where the demo writes its dossier (git-ignored, like the local store). */
const DOSSIER = resolve(".trail/demo/dossier");
try {
  print("THE ROLLBACK TRAIL: a bad release, its rollback, and the proof of what happened");
  print("(Hardhat in-process network; every step below is a real transaction)");
  print("");
  const connection = await network.create();
  try {
    const s = await runScenario(connection, { workDir: work, print });
    print(
      `9. The one command, here in-process (on a real network: npm run incident -- --model ` +
        `${DEMO_MODEL} --version 2 --network NAME --source dir:STORE): it fetches every batch ` +
        `anchored by its reference from the nodes' store, checks it against the chain, and says ` +
        `what it could not obtain:`,
    );
    print("");
    // The demo's dossier replaces the previous run's (it is the demo's own output).
    rmSync(DOSSIER, { recursive: true, force: true });
    const report = await writeDossier(DOSSIER, (recordSink) =>
      incidentReport({
        recordSink,
        provider: connection.ethers.provider as unknown as import("ethers").Provider,
        registry: s.registry,
        anchor: s.anchor,
        settlement: s.settlement,
        actionLog: s.actionLog,
        modelId: s.modelId,
        modelName: DEMO_MODEL,
        version: 2,
        sources: [parseSource(`dir:${s.store.root}`)],
        labels: s.labels,
        routing: s.routing,
      }),
    );
    print(formatIncidentReport(report));
    print("");
    print(
      `10. The dossier (what --out DIR writes; anyone can check it with npm run incident -- check ` +
        `DIR --network NAME): ${relative(process.cwd(), DOSSIER)}/ (${DOSSIER_FILES.join(", ")}); ` +
        `open report.html for the timeline`,
    );
  } finally {
    await connection.close();
  }
} catch (e) {
  process.stderr.write(`demo: ${errorLine(e)}\n`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
