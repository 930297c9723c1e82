/**
 * The ground of the library: one error type for every expected failure, so that any layer may
 * fail without importing another layer's error, and the command-line wrapper (./cli.ts) tells an
 * expected failure (shown as is) from a bug (marked "unexpected error").
 */

/**
 * An expected failure (bad arguments, bad input, a network that refused): its message is meant
 * for the person who ran the tool and is shown as is, on one line. Library callers can catch it
 * with `instanceof TrailError`; the subclasses (CliError, RecordError, BatchFileError, ...) say
 * which layer refused.
 */
export class TrailError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrailError";
  }
}

/** The first line of a message, trimmed (messages of Node and libraries can span lines). */
export function oneLine(message: string): string {
  const line = message.split(/\r?\n/, 1)[0].trim();
  return line === "" ? "(no message)" : line;
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
