/**
 * The report's sections as tables of plain text, shared by the Markdown (./markdown.ts) and the
 * HTML (./html.ts) renderers, so that both show the same rows.
 */
import { uniqueActions } from "./actions.js";
import { afterWords } from "./format.js";
import { isOpenState } from "./names.js";
import type { EvidenceProblem, IncidentReport, ReportPayment, ReportRecord } from "./types.js";
import { Words, amountsText, formatDuration, formatTime, plural, short } from "./words.js";

/** Rows beyond this many records are left to records.jsonl: a table of thousands helps nobody. */
export const RECORD_ROWS = 200;

/** One table of the report: plain text cells, escaped by each renderer. */
export interface ReportTable {
  /** A stable name for the section (an HTML id). */
  id: string;
  title: string;
  columns: string[];
  rows: string[][];
  /** Said instead of the table when it has no row. */
  empty: string;
  /** Said after the table (rows left off, ...). */
  note?: string;
}

/** The report's sections as tables, in reading order. */
export function reportTables(report: IncidentReport): ReportTable[] {
  const w = new Words(report, { labels: report.labels });
  return [
    windowsTable(report),
    incidentsTable(w),
    paymentsTable(w),
    totalsTable(w),
    otherPaymentsTable(w),
    batchesTable(w),
    directoriesTable(report),
    recordsTable(w),
    actionsTable(w),
    afterCloseTable(w),
  ];
}

/** A problem's kind, and its node's label when it has one (the message names the address). */
export function problemHead(report: IncidentReport, p: EvidenceProblem): string {
  const w = new Words(report, { labels: report.labels });
  return p.node !== undefined && w.labelled(p.node) ? `${p.kind} (${w.who(p.node)})` : p.kind;
}

/** `2031-01-08 10:07:00Z (block 51)`. */
const at = (time: number, block: number | null) =>
  block === null ? formatTime(time) : `${formatTime(time)} (block ${block})`;

/** A cell with no value, so that no cell reads as a missing column. */
const NONE = "—";

function windowsTable(report: IncidentReport): ReportTable {
  return {
    id: "windows",
    title: `Windows of v${report.version}`,
    columns: ["Epoch", "Start", "End", "Duration", "Ended by", "Note"],
    rows: report.windows.map((x) => [
      String(x.epoch),
      at(x.startTime, x.startBlock),
      x.endTime === null ? "open" : at(x.endTime, x.endBlock),
      x.duration === null ? NONE : formatDuration(x.duration),
      x.endTime === null ? NONE : x.endReason,
      x.neverLive
        ? "NEVER LIVE (opened and closed in one block)"
        : x.endTime === null
          ? "OPEN"
          : "",
    ]),
    empty: `v${report.version} was never made live.`,
  };
}

function incidentsTable(w: Words): ReportTable {
  const v = `v${w.report.version}`;
  return {
    id: "incidents",
    title: "Incidents",
    columns: ["#", "Kind", "At", "By", `${v} marked`, "Windows", "Reason", "Tx"],
    rows: w.report.incidents.map((i) => [
      String(i.id),
      i.kind === "rollback" ? `rollback → v${i.target}` : "revoke",
      at(i.at, i.atBlock),
      w.who(i.by) +
        (i.bySafe === null ? "" : ` (Safe, ${i.bySafe.threshold} of ${i.bySafe.owners.length})`),
      i.disposition,
      `${i.windowCount} (epoch${i.epochs.length === 1 ? "" : "s"} ${i.epochs.join(", ")})`,
      i.reasonURI === "" ? short(i.reasonHash) : `${i.reasonURI} (${short(i.reasonHash)})`,
      i.txHash === null ? NONE : short(i.txHash),
    ]),
    empty: "No incident.",
  };
}

/** A payment's state now, with when it was claimed or refunded. */
function paymentState(p: ReportPayment): string {
  if (p.claim !== null) {
    return `Claimed ${formatTime(p.claim.at)}${p.claim.afterClose ? " (after the close)" : ""}`;
  }
  if (p.refund !== null) {
    const flags = p.refund.reason === "Challenge" ? `: ${p.refund.flagNames.join(" + ")}` : "";
    return `Refunded ${formatTime(p.refund.at)} (${p.refund.reason}${flags})`;
  }
  if (!isOpenState(p.state)) return p.state;
  return (
    p.state +
    (p.contestedAt !== null ? `, contested ${formatTime(p.contestedAt)}` : "") +
    (p.proofDeadline !== null ? `, proof deadline ${formatTime(p.proofDeadline)}` : "")
  );
}

/** The payee's record(s) of the payment's request, as the verified evidence shows them. */
function serviceCell(w: Words, p: ReportPayment): string {
  const s = p.service;
  if (s === null) return NONE;
  if (s.found === "none") return "none: no anchored record of the request";
  if (s.found === "unknown") {
    return `unknown: some of ${w.who(p.payee)}'s batches are missing or corrupt`;
  }
  const records = s.records.map(
    (r) => `record ${r.index} of ${short(r.root)} (v${r.version}, ${r.standing ?? "unverified"})`,
  );
  return `found: ${records.join("; ")}`;
}

const cans = (list: string[] | undefined) =>
  list === undefined || list.length === 0 ? NONE : list.join("; ");

function paymentRow(w: Words, p: ReportPayment): string[] {
  return [
    short(p.settlementId),
    w.who(p.payer),
    w.who(p.payee),
    w.amount(p.token, p.amount),
    formatTime(p.settledAt),
    formatTime(p.releaseAt),
    paymentState(p),
    p.openStatus ?? NONE,
    serviceCell(w, p),
    cans(p.service?.payerCan),
    cans(p.service?.payeeCan),
  ];
}

const PAYMENT_COLUMNS = [
  "Settlement",
  "Payer",
  "Payee",
  "Amount",
  "Settled",
  "Release",
  "State",
  "Open status",
  "Service found",
  "Payer can",
  "Payee can",
];

/** "N more … in FILE" when a table shows the first RECORD_ROWS of `total` rows. */
function moreIn(total: number, what: string, file: string): string | undefined {
  const more = total - RECORD_ROWS;
  return more > 0 ? `${more} more ${what}${more === 1 ? "" : "s"} in ${file}` : undefined;
}

function paymentsTable(w: Words): ReportTable {
  const v = `v${w.report.version}`;
  return {
    id: "payments",
    title: `Payments bound to ${v}`,
    columns: PAYMENT_COLUMNS,
    rows: w.report.payments.slice(0, RECORD_ROWS).map((p) => paymentRow(w, p)),
    empty: `No payment is bound to ${v}'s epochs.`,
    note: moreIn(w.report.payments.length, "payment", "payments.jsonl"),
  };
}

function totalsTable(w: Words): ReportTable {
  const counted = (n: number, token: string, amount: string) => `${n}: ${w.amount(token, amount)}`;
  return {
    id: "totals",
    title: "Payment totals per token",
    columns: ["Token", "Settled", "Refunded", "Claimed", "Open"],
    rows: w.report.totals.map((t) => [
      `${t.symbol ?? "token"} ${t.token}`,
      counted(t.settledCount, t.token, t.settledAmount),
      counted(t.refundedCount, t.token, t.refundedAmount),
      counted(t.claimedCount, t.token, t.claimedAmount),
      counted(t.openCount, t.token, t.openAmount),
    ]),
    empty: "No token was paid.",
  };
}

function otherPaymentsTable(w: Words): ReportTable {
  const v = `v${w.report.version}`;
  return {
    id: "other-payments",
    title: `Payments bound to another version for requests served under ${v}`,
    columns: ["Bound to", ...PAYMENT_COLUMNS],
    rows: w.report.otherVersionPayments
      .slice(0, RECORD_ROWS)
      .map((p) => [`v${p.version} (epoch ${p.epoch})`, ...paymentRow(w, p)]),
    empty: "None.",
    note: moreIn(w.report.otherVersionPayments.length, "payment", "payments.jsonl"),
  };
}

function batchesTable(w: Words): ReportTable {
  const v = `v${w.report.version}`;
  return {
    id: "batches",
    title: `Batches bearing on ${v}`,
    columns: [
      "Root",
      "Node",
      "Records",
      "Served",
      "Anchored at",
      "Evidence",
      "Disputes",
      `Of ${v}`,
    ],
    rows: w.report.batches.map((b) => [
      b.root,
      w.who(b.node),
      String(b.count),
      `${formatTime(b.firstServedAt)} to ${formatTime(b.lastServedAt)}`,
      at(b.anchoredAt, b.block) +
        (b.anchoredWhileLive ? ", while live" : b.anchoredAfterClose ? ", after the close" : ""),
      w.evidence(b),
      b.disputes.length === 0
        ? "none"
        : b.disputes.map((d) => `#${d.index} by ${w.who(d.by)} ${formatTime(d.at)}`).join("; "),
      b.recordsOfVersion === null ? "unknown" : String(b.recordsOfVersion),
    ]),
    empty: `No anchored batch bears on ${v}.`,
  };
}

function directoriesTable(report: IncidentReport): ReportTable {
  return {
    id: "directories",
    title: "Batch directories given",
    columns: ["Directory", "Root", "Records", "Status", "Detail"],
    rows: report.records.dirs.map((d) => [
      d.dir,
      short(d.root),
      String(d.records),
      d.status,
      (d.detail ?? "") + (d.badProofs > 0 ? ` (${plural(d.badProofs, "proof")} rebuilt)` : ""),
    ]),
    empty: "None.",
  };
}

/** A record's standing now, in words (a reverted verification or a proof that does not match). */
function standingNow(r: ReportRecord): string {
  if (r.error !== null) return `verification reverted: ${r.error}`;
  if (r.included === false) return "NotIncluded";
  return (
    (r.standing ?? "unverified") + (r.flagNames.length > 1 ? ` (${r.flagNames.join(" + ")})` : "")
  );
}

const RECORD_COLUMNS = ["Request", "Served at", "When", "Node", "Agent", "As served", "Now"];

function recordRow(w: Words, r: ReportRecord): string[] {
  const then = r.liveVersionThen;
  return [
    short(r.requestId),
    formatTime(r.servedAt),
    r.served,
    w.who(r.node),
    w.who(r.agent),
    r.servedStanding ?? "unverified",
    standingNow(r),
    then === null ? NONE : then === 0 ? "nothing" : `v${then}`,
    `${short(r.root)} #${r.index}`,
  ];
}

/** The first RECORD_ROWS records; the rest (and those the report did not keep) are in the sink. */
function recordsTable(w: Words): ReportTable {
  const v = `v${w.report.version}`;
  const { items, total } = w.report.records;
  const rows = items.slice(0, RECORD_ROWS).map((r) => recordRow(w, r));
  const more = total - rows.length;
  return {
    id: "records",
    title: `Records claiming ${v} (verified batches): ${total}`,
    columns: [...RECORD_COLUMNS, "Live then", "Batch"],
    rows,
    empty: `No record claiming ${v} in the verified batches.`,
    note:
      more > 0
        ? `The first ${rows.length} of ${total} records: ${plural(more, "more record")} in records.jsonl.`
        : undefined,
  };
}

function actionsTable(w: Words): ReportTable {
  const v = w.report.version;
  const a = w.report.actions;
  return {
    id: "actions",
    title: "Agent actions",
    columns: ["#", "Agent", "Logged at", "Live then", "Proof", `Counts for v${v}`, "Request"],
    rows: uniqueActions([...a.whileLive, ...a.servedByVersion]).map((x) => [
      String(x.id),
      w.who(x.agent),
      formatTime(x.loggedAt) + (x.loggedAfterClose ? " (after the close)" : ""),
      x.liveVersion === 0 ? "nothing live" : `v${x.liveVersion} (epoch ${x.liveEpoch})`,
      x.proven
        ? `served by v${x.servedVersion} in epoch ${x.servedEpoch}` +
          (x.flagNames.length === 0 ? " (conforming)" : ` (${x.flagNames.join(" + ")})`)
        : "unproven (no record)",
      [x.loggedWhileLive ? "logged while live" : "", x.servedByVersion ? "served by it" : ""]
        .filter((s) => s !== "")
        .join(", "),
      short(x.requestId),
    ]),
    empty: "No agent action.",
  };
}

function afterCloseTable(w: Words): ReportTable {
  const report = w.report;
  const v = `v${report.version}`;
  const ac = report.afterClose;
  const words = afterWords(report);
  const title = words[0].toUpperCase() + words.slice(1);
  if (ac === null) {
    const empty =
      report.windows.length === 0 ? `None: ${v} was never live.` : `None yet: ${v} is live.`;
    return { id: "after-close", title, columns: [], rows: [], empty };
  }
  const unseen = ac.batches.filter((b) => b.evidence.status !== "verified").length;
  return {
    id: "after-close",
    title,
    columns: ["What", "Count", "Detail"],
    rows: [
      ["The window closed", NONE, at(ac.since.time, ac.since.block)],
      [
        `Stale records (claiming ${v})`,
        String(ac.staleRecords.length),
        unseen > 0 ? `AT LEAST: ${plural(unseen, "batch", "batches")} could not be read` : "",
      ],
      [
        "Batches anchored",
        String(ac.batches.length),
        ac.batches.map((b) => `${short(b.root)} by ${w.who(b.node)}`).join("; "),
      ],
      ["Refunds", String(ac.refunds.length), amountsText(report, ac.refunds)],
      ["Claims", String(ac.claims.length), amountsText(report, ac.claims)],
      ["Actions logged", String(ac.actions.length), ac.actions.map((x) => `#${x.id}`).join(", ")],
    ],
    empty: "",
  };
}

/** The report's title and where it was read, for both renderers. */
export function reportHeading(report: IncidentReport): { title: string; subtitle: string } {
  const name = report.model.name ?? short(report.model.id);
  const live =
    report.live.version === 0
      ? report.live.paused
        ? "nothing (paused)"
        : "nothing"
      : `v${report.live.version} (epoch ${report.live.epoch})`;
  return {
    title: `Incident report: ${name}, version ${report.version}`,
    subtitle:
      `Model ${report.model.id} on chain ${report.chainId}, read at block ${report.readAt.block} ` +
      `(${formatTime(report.readAt.time)}). v${report.version} is ${report.versionRecord.status}; ` +
      `live now: ${live}.`,
  };
}
