/**
 * Progress of a long scan on stderr: a bar on a terminal (cli-progress), a line every few seconds
 * otherwise (a log keeps no bar), nothing with --quiet. Never on stdout, which holds the report.
 */
import cliProgress from "cli-progress";

export interface Progress {
  start(total: number): void;
  tick(): void;
  stop(): void;
}

const LINE_EVERY_MS = 5000;

/** A progress display of batches for `label`; silent when `quiet`. */
export function batchProgress(label: string, quiet: boolean): Progress {
  if (quiet) return { start() {}, tick() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: `${label} [{bar}] {value}/{total} batches, {percentage}% (eta {eta_formatted})`,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    return {
      start: (total) => bar.start(total, 0),
      tick: () => bar.increment(),
      stop: () => bar.stop(),
    };
  }
  let done = 0;
  let total = 0;
  let last = 0;
  const started = Date.now();
  const write = () =>
    process.stderr.write(
      `${label}: ${done}/${total} batches (${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
    );
  return {
    start: (n) => {
      total = n;
      last = Date.now();
    },
    tick: () => {
      done++;
      if (Date.now() - last >= LINE_EVERY_MS) {
        last = Date.now();
        write();
      }
    },
    stop: () => {
      if (total > 0) write();
    },
  };
}
