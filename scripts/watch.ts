/**
 * npm run watch -- --network NAME [--webhook URL] [--state FILE] [--from-block N]
 *                  [--history-from N] [--until-block N] [--block-range N] [--confirmations N]
 *                  [--poll SECONDS] [--ack-grace DURATION] [--model NAME|0x… ...]
 *                  [--source SPEC ...] [--store DIR] [--webhook-attempts N] [--webhook-timeout MS]
 *                  [--quiet] [--anchor ADDRESS] [--settlement ADDRESS] [--routing ADDRESS]
 *
 * Follows new blocks and raises an alert per cause (see src/watch/index.ts and the README's
 * "The watch"): one JSON line on stdout each (schemas/watch-alert.schema.json), a line in words on
 * stderr (none with --quiet), and a POST to --webhook, in order, retried with backoff. With
 * --state FILE the watch resumes where it stopped, alerts raised once across restarts.
 *
 * Exit codes: 0 stopped by SIGINT/SIGTERM or at --until-block, every alert delivered (or kept in
 * the state file for the next run); 5 the same, but at least one alert never reached the webhook
 * (named on stderr); 1 one line on stderr on any error (bad arguments, an unreachable network at
 * the start, a state file of another chain or deployment). A node that stops answering while the
 * watch follows is a line on stderr and is tried again: the watch does not end for it.
 */
import { main, userPath } from "../src/ground/cli.js";
import { connectTool } from "../src/chain/connect.js";
import { parseWatchArgs } from "../src/watch/args.js";
import { runWatch } from "../src/watch/run.js";

const NAME = "watch";

main(NAME, async () => {
  const request = parseWatchArgs(process.argv.slice(2));
  const tool = await connectTool(request.network, request.overrides.anchor);
  const stop = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => stop.abort());
  }
  try {
    process.exitCode = await runWatch(request, tool, {
      stdout: (line) => process.stdout.write(line + "\n"),
      stderr: (line) => process.stderr.write(line + "\n"),
      path: (p) => userPath(p, NAME),
      signal: stop.signal,
    });
  } finally {
    await tool.close();
  }
});
