/**
 * Shared helpers of the command-line scripts: argument parsing (node:util parseArgs) and one way
 * to fail. A script's expected failures (bad arguments, bad input) are TrailErrors (./errors.ts); the
 * `main` wrapper prints any failure as ONE line `name: message` on stderr, never a stack trace,
 * and exits with code 1.
 */
import { resolve } from "node:path";
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";

import { TrailError, describeFsError, oneLine } from "./errors.js";

export { TrailError, describeFsError, oneLine };

/** An expected failure of a script: its message is shown as is, on one line. */
export class CliError extends TrailError {
  constructor(message: string) {
    super(message);
    this.name = "CliError";
  }
}

/** Throws a CliError: `fail("...")` reads as a statement in a script. */
export function fail(message: string): never {
  throw new CliError(message);
}

type Values<T extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: false }>
>["values"];

/**
 * Parses `args` (default: the script's arguments) against `options`, strictly: an unknown option,
 * a positional argument or a missing value is a CliError that ends with the usage line.
 */
export function parseCliArgs<T extends ParseArgsOptionsConfig>(
  options: T,
  usage: string,
  args: string[] = process.argv.slice(2),
): Values<T> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new CliError(`${oneLine(e instanceof Error ? e.message : String(e))} (usage: ${usage})`);
  }
}

/** The value of a required string option, or a CliError naming it. */
export function requireOption(value: string | undefined, flag: string, usage: string): string {
  if (value === undefined || value === "") fail(`missing ${flag} (usage: ${usage})`);
  return value;
}

/**
 * A path given on the command line, made absolute. `npm run SCRIPT` runs scripts from the package
 * root, so under `npm run npmScript` a relative path is taken from where npm was started
 * (INIT_CWD), as the user typed it; otherwise from the current directory.
 */
export function userPath(path: string, npmScript: string): string {
  const fromNpm = process.env.npm_lifecycle_event === npmScript && process.env.INIT_CWD;
  return resolve(fromNpm ? (process.env.INIT_CWD as string) : process.cwd(), path);
}

/** The one line printed for an error: its message if expected, else marked as unexpected. */
export function errorLine(e: unknown): string {
  if (e instanceof TrailError) return oneLine(e.message);
  if (e instanceof Error) return `unexpected error: ${e.name}: ${oneLine(e.message)}`;
  return `unexpected error: ${oneLine(String(e))}`;
}

/**
 * Runs a script's body: on success the process ends normally; on any failure it prints
 * `name: message` (one line) on stderr and exits with code 1.
 */
export function main(name: string, body: () => Promise<void> | void): void {
  Promise.resolve()
    .then(body)
    .catch((e: unknown) => {
      process.stderr.write(`${name}: ${errorLine(e)}\n`);
      process.exit(1);
    });
}
