/**
 * npm run bench [-- --only merkle[,other]]
 *
 * Runs the benchmark sections and writes ONE JSON record, to stdout and to
 * bench-results/bench-<timestamp>.json (git-ignored):
 *   { machine: {node, cpus, ...}, startedAt, finishedAt, durationMs, sections: {gas, merkle} }
 *
 * A section is an async function exported by its own module (merkle.ts: benchMerkle) and listed
 * in SECTIONS below. Progress goes to stderr.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { fail, main, parseCliArgs } from "../../src/ground/cli.js";
import { benchGas } from "./gas-section.js";
import { benchIncident } from "./incident.js";
import { benchMerkle } from "./merkle.js";

/** The sections, in running order. Add one here (e.g. gas: benchGas). */
export const SECTIONS: Record<string, () => Promise<unknown>> = {
  gas: () => benchGas(),
  merkle: () => benchMerkle(),
  incident: () => benchIncident(),
};

const USAGE = `npm run bench [-- --only ${Object.keys(SECTIONS).join(",")}]`;

function machine() {
  const cpu = cpus();
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpus: cpu.length,
    cpuModel: cpu[0]?.model ?? "unknown",
    totalMemoryMB: Math.round(totalmem() / (1 << 20)),
    // Other work on the machine skews timings: the load average says how busy it was.
    loadAverageAtStart: loadavg().map((x) => Number(x.toFixed(2))),
  };
}

main("bench", async () => {
  const args = parseCliArgs({ only: { type: "string", multiple: true } }, USAGE);
  const names = (args.only ?? Object.keys(SECTIONS)).flatMap((s) => s.split(",")).filter(Boolean);
  for (const name of names) {
    if (!(name in SECTIONS)) fail(`unknown section ${name} (usage: ${USAGE})`);
  }
  const startedAt = new Date();
  const started = performance.now();
  const sections: Record<string, unknown> = {};
  for (const name of names) {
    process.stderr.write(`bench: ${name}...\n`);
    const t = performance.now();
    sections[name] = await SECTIONS[name]();
    process.stderr.write(
      `bench: ${name} done in ${((performance.now() - t) / 1000).toFixed(1)} s\n`,
    );
  }
  const result = {
    machine: machine(),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationMs: Math.round(performance.now() - started),
    sections,
  };
  const json = JSON.stringify(result, null, 2) + "\n";
  const dir = resolve(dirname(fileURLToPath(import.meta.url)), "../../bench-results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, json);
  process.stdout.write(json);
  process.stderr.write(`bench: written to ${file}\n`);
});
