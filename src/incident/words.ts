/** Words for the report: times, durations, amounts, addresses with labels, one line per item. */
import { formatUnits, getAddress, isAddress } from "ethers";

import type { IncidentReport, ReportAction, ReportBatch, ReportRecord } from "./types.js";

/** A Unix time as `2031-01-06 09:00:00Z`. */
export function formatTime(t: number): string {
  return new Date(t * 1000).toISOString().replace("T", " ").replace(".000Z", "Z");
}

/** Seconds as `3d 6h`, `45m 10s`: units from the largest non-zero one, trailing zeros dropped. */
export function formatDuration(seconds: number): string {
  const parts: string[] = [];
  const units: Array<[string, number]> = [
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ];
  let rest = seconds;
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || parts.length > 0) parts.push(`${n}${unit}`);
  }
  while (parts.length > 1 && parts[parts.length - 1].startsWith("0")) parts.pop();
  return parts.length === 0 ? "0s" : parts.join(" ");
}

/** An amount of `token` in words: `14.0 TEST`, or raw units when the token has no metadata. */
export function formatAmount(report: IncidentReport, token: string, amount: string): string {
  const t = report.totals.find((x) => x.token === token);
  if (t === undefined || t.decimals === null) return `${amount} units of ${token}`;
  return `${formatUnits(amount, t.decimals)} ${t.symbol ?? token}`;
}

export interface FormatOptions {
  /**
   * Names for known addresses (e.g. "node A", "guardian Safe"), shown beside or instead of them;
   * the report's own `labels` (from --labels) are used too.
   */
  labels?: Record<string, string>;
  /** Only the summary and the evidence problems (`--summary`). */
  summaryOnly?: boolean;
}

export function short(hex: string): string {
  return hex.length > 14 ? `${hex.slice(0, 10)}…${hex.slice(-4)}` : hex;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Sums amounts per token: `14.0 TEST` (`, ` between tokens), `nothing` for none. */
export function amountsText(
  report: IncidentReport,
  items: Array<{ token: string; amount: string }>,
) {
  const sums = new Map<string, bigint>();
  for (const i of items) sums.set(i.token, (sums.get(i.token) ?? 0n) + BigInt(i.amount));
  if (sums.size === 0) return "nothing";
  return [...sums.entries()].map(([t, s]) => formatAmount(report, t, s.toString())).join(", ");
}

/** Formatting helpers bound to a report and its labels. */
export class Words {
  private readonly labels = new Map<string, string>();

  constructor(
    readonly report: IncidentReport,
    options: FormatOptions,
  ) {
    for (const [address, label] of Object.entries({ ...report.labels, ...options.labels })) {
      if (isAddress(address)) this.labels.set(getAddress(address), label);
    }
  }

  /** An address: its label if known, else shortened. */
  who(address: string): string {
    return this.labels.get(getAddress(address)) ?? short(address);
  }

  labelled(address: string): boolean {
    return this.labels.has(getAddress(address));
  }

  /** An address in full, with its label if known. */
  full(address: string): string {
    const label = this.labels.get(getAddress(address));
    return label === undefined ? address : `${label} ${address}`;
  }

  amount(token: string, amount: string): string {
    return formatAmount(this.report, token, amount);
  }

  /** The standing now, and what it was when served if the version's marking changed it. */
  record(r: ReportRecord): string {
    const head = `${short(r.requestId)} served ${formatTime(r.servedAt)} by ${this.who(r.node)} for ${this.who(r.agent)}`;
    if (r.error !== null) return `${head}: verification reverted: ${r.error}`;
    if (r.included === false) return `${head}: NotIncluded (the proof does not match the batch)`;
    const standing =
      r.servedStanding !== r.standing
        ? `${r.servedStanding} as served, ${r.standing} now`
        : (r.standing ?? "");
    const flags = r.flagNames.length > 1 ? ` (flags ${r.flagNames.join(" + ")})` : "";
    const liveThen =
      r.liveVersionThen === null
        ? ""
        : r.liveVersionThen === 0
          ? "; nothing was live then"
          : `; v${r.liveVersionThen} was live then`;
    return `${head}: ${standing}${flags}${liveThen}`;
  }

  action(a: ReportAction): string {
    const v = this.report.version;
    const live =
      a.liveVersion === 0
        ? "nothing live: paused or between releases"
        : `v${a.liveVersion} live, epoch ${a.liveEpoch}`;
    const proof = a.proven
      ? `proven served by v${a.servedVersion} in epoch ${a.servedEpoch}` +
        (a.flagNames.length === 0 ? " (conforming)" : ` (${a.flagNames.join(" + ")})`)
      : "unproven (no record)";
    const note =
      a.servedByVersion && a.liveVersion !== v
        ? a.liveVersion === 0
          ? `: counts for v${v}, which served it`
          : `: counts for v${v}, which served it, not the live v${a.liveVersion}`
        : "";
    return `#${a.id} by ${this.who(a.agent)} at ${formatTime(a.loggedAt)} (${live}), request ${short(a.requestId)}: ${proof}${note}`;
  }

  batch(b: ReportBatch): string {
    const v = this.report.version;
    const why = [
      b.anchoredWhileLive
        ? "anchored while live"
        : b.anchoredAfterClose
          ? "anchored after the close"
          : "anchored outside the windows",
      b.coversWindow ? `served inside v${v}'s window` : "",
      b.recordsOfVersion !== null ? `${b.recordsOfVersion} of its records claim v${v}` : "",
      this.evidence(b),
    ]
      .filter((s) => s !== "")
      .join(", ");
    return (
      `${short(b.root)} by ${this.who(b.node)}: ${plural(b.count, "record")} served ` +
      `${formatTime(b.firstServedAt)} to ${formatTime(b.lastServedAt)}, anchored ` +
      `${formatTime(b.anchoredAt)} (block ${b.block}): ${why}`
    );
  }

  /** A batch's evidence status in words. */
  evidence(b: ReportBatch): string {
    const e = b.evidence;
    if (e.status === "verified") return `records verified (from ${e.from})`;
    if (e.status === "missing") return "MISSING: its records could not be obtained";
    if (e.status === "unavailable") return "UNAVAILABLE: a source could not be read";
    return `CORRUPT: ${e.corrupt.map((c) => `${c.from}: ${c.what}`).join("; ")}`;
  }
}
