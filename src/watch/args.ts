/** The command line of `npm run watch`: its arguments and exit codes. */
import { getAddress, isAddress } from "ethers";

import { fail, parseCliArgs, requireOption } from "../ground/cli.js";
import { type ModelRef, parseDuration, parseModelId } from "../governance/values.js";

export const WATCH_USAGE =
  "npm run watch -- --network NAME [--webhook URL] [--state FILE] [--from-block N] " +
  "[--history-from N] [--until-block N] [--block-range N] [--confirmations N] [--poll SECONDS] " +
  "[--ack-grace DURATION] [--model NAME|0x… ...] [--source SPEC ...] [--store DIR] " +
  "[--webhook-attempts N] [--webhook-timeout MS] [--quiet] [--anchor ADDRESS] " +
  "[--settlement ADDRESS] [--routing ADDRESS]";

/** Exit code when the watch stopped and at least one alert never reached the webhook. */
export const EXIT_LOST = 5;

/** The default grace before a node that has not acknowledged the live epoch is raised (10 min). */
export const DEFAULT_ACK_GRACE = 600;

export interface WatchRequest {
  network: string;
  webhook?: string;
  state?: string;
  fromBlock?: number;
  historyFrom?: number;
  untilBlock?: number;
  blockRange: number;
  confirmations: number;
  pollMs: number;
  ackGraceSeconds: number;
  models: ModelRef[];
  sources: string[];
  store?: string;
  webhookAttempts: number;
  webhookTimeoutMs: number;
  quiet: boolean;
  overrides: { anchor?: string; settlement?: string; routing?: string };
}

function wholeNumber(raw: string | undefined, flag: string, min: number): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) fail(`${flag} must be a whole number, got ${raw}`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) fail(`${flag} must be at least ${min}, got ${raw}`);
  return n;
}

function optionalAddress(raw: string | undefined, flag: string): string | undefined {
  if (raw === undefined) return undefined;
  if (!isAddress(raw)) fail(`${flag} must be an address, got ${raw}`);
  return getAddress(raw);
}

/** Parses the arguments after `npm run watch --`; throws a one-line CliError when wrong. */
export function parseWatchArgs(argv: string[]): WatchRequest {
  const args = parseCliArgs(
    {
      network: { type: "string" },
      webhook: { type: "string" },
      state: { type: "string" },
      "from-block": { type: "string" },
      "history-from": { type: "string" },
      "until-block": { type: "string" },
      "block-range": { type: "string" },
      confirmations: { type: "string" },
      poll: { type: "string" },
      "ack-grace": { type: "string" },
      model: { type: "string", multiple: true },
      source: { type: "string", multiple: true },
      store: { type: "string" },
      "webhook-attempts": { type: "string" },
      "webhook-timeout": { type: "string" },
      quiet: { type: "boolean" },
      anchor: { type: "string" },
      settlement: { type: "string" },
      routing: { type: "string" },
    },
    WATCH_USAGE,
    argv,
  );
  const network = requireOption(args.network, "--network", WATCH_USAGE);
  let webhook: string | undefined;
  if (args.webhook !== undefined) {
    let url: URL;
    try {
      url = new URL(args.webhook);
    } catch {
      fail(`--webhook must be an http:// or https:// URL, got ${args.webhook}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      fail(`--webhook must be an http:// or https:// URL, got ${args.webhook}`);
    }
    webhook = url.href;
  }
  for (const flag of ["state", "store"] as const) {
    if (args[flag] === "") fail(`--${flag} is empty`);
  }
  const sources = args.source ?? [];
  if (sources.some((s) => s === "")) fail("--source is empty");
  let pollMs = 2000;
  if (args.poll !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(args.poll) || Number(args.poll) <= 0 || Number(args.poll) > 3600) {
      fail(`--poll must be seconds above 0 and at most 3600, got ${args.poll}`);
    }
    pollMs = Math.round(Number(args.poll) * 1000);
  }
  const fromBlock = wholeNumber(args["from-block"], "--from-block", 0);
  const untilBlock = wholeNumber(args["until-block"], "--until-block", 0);
  if (fromBlock !== undefined && untilBlock !== undefined && untilBlock < fromBlock) {
    fail(`--until-block ${untilBlock} is before --from-block ${fromBlock}`);
  }
  return {
    network,
    webhook,
    state: args.state,
    fromBlock,
    historyFrom: wholeNumber(args["history-from"], "--history-from", 0),
    untilBlock,
    blockRange: wholeNumber(args["block-range"], "--block-range", 1) ?? 2000,
    confirmations: wholeNumber(args.confirmations, "--confirmations", 0) ?? 0,
    pollMs,
    ackGraceSeconds:
      args["ack-grace"] === undefined
        ? DEFAULT_ACK_GRACE
        : Number(parseDuration(args["ack-grace"], "ack-grace")),
    models: (args.model ?? []).map((m) => parseModelId(m)),
    sources,
    store: args.store,
    webhookAttempts: wholeNumber(args["webhook-attempts"], "--webhook-attempts", 1) ?? 5,
    webhookTimeoutMs: wholeNumber(args["webhook-timeout"], "--webhook-timeout", 1) ?? 5000,
    quiet: args.quiet === true,
    overrides: {
      anchor: optionalAddress(args.anchor, "--anchor"),
      settlement: optionalAddress(args.settlement, "--settlement"),
      routing: optionalAddress(args.routing, "--routing"),
    },
  };
}
