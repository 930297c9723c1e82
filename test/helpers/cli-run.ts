/**
 * Running the TypeScript command-line scripts in the tests as child processes, and checking their
 * one-line failures.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The package root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

// `node --import tsx` (tsx's loader, by absolute URL: the child runs in a temp dir) rather than the
// tsx CLI, which would start a second Node.js process.
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/** What a script run printed and how it ended. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs scripts/`script` ARGS with tsx, from `cwd`, as a child process with `env` added. */
export function runScript(
  script: string,
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<Run> {
  return new Promise((resolvePromise) => {
    const argv = ["--import", TSX_LOADER, join(ROOT, "scripts", script), ...args];
    const options = { cwd, env: { ...process.env, ...env } };
    execFile(process.execPath, argv, options, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** The one-line error a failing run must print: exit code 1, one stderr line `name: …`, no stack. */
export function expectOneLineError(run: Run, name: string, pattern: RegExp): void {
  expect(run.code, run.stderr).to.equal(1);
  const lines = run.stderr.trimEnd().split("\n");
  expect(lines, run.stderr).to.have.length(1);
  expect(lines[0].startsWith(`${name}: `), lines[0]).to.equal(true);
  expect(lines[0]).to.match(pattern);
  expect(run.stderr).not.to.match(/\n\s+at /);
}
