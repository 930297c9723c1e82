/**
 * Shared helpers of the command-line scripts: argument parsing (node:util parseArgs) and one way
 * to fail. A script's expected failures (bad arguments, bad input) are CliError or RecordError; the
 * `main` wrapper prints any failure as ONE line `name: message` on stderr, never a stack trace,
 * and exits with code 1.
 */
import { resolve } from "node:path";
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";

import { RecordError } from "./record.js";

/** An expected failure of a script: its message is shown as is, on one line. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliError";
  }
}

/** Throws a CliError: `fail("...")` reads as a statement in a script. */
export function fail(message: string): never {
  throw new CliError(message);
}

/** The first line of a message, trimmed (messages of Node and libraries can span lines). */
export function oneLine(message: string): string {
  const line = message.split(/\r?\n/, 1)[0].trim();
  return line === "" ? "(no message)" : line;
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

/** A Node.js file-system error as a short phrase: "no such file", "permission denied", ... */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "is a directory";
    case "ENOTDIR":
      return "a parent is not a directory";
    case "ENOSPC":
      return "no space left on the device";
    default:
      return oneLine(e instanceof Error ? e.message : String(e));
  }
}

/** The one line printed for an error: its message if expected, else marked as unexpected. */
export function errorLine(e: unknown): string {
  if (e instanceof CliError || e instanceof RecordError) return oneLine(e.message);
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
