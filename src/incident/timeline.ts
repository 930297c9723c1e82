/**
 * The incident's timeline as inline SVG, computed here (no plotting library, nothing fetched):
 * the version's windows, its incidents and the close, each node's batches, the payments and the
 * records claiming the version, on one time axis ending when the report was read. A close-up of
 * the hours around the close can be drawn too: that is where an incident's story crowds.
 */
import type { IncidentReport, ReportBatch, ReportPayment, ReportRecord } from "./types.js";
import {
  CHAR,
  COLORS,
  type Flag,
  PLOT_LEFT,
  type Placed,
  TIMELINE_WIDTH,
  colorOf,
  escapeXml,
  label,
  legend,
  n,
  outcomeMark,
  placeFlags,
  stack,
  title,
} from "./svg.js";
import { Words, formatTime, short } from "./words.js";

export { TIMELINE_WIDTH };

const LEFT = PLOT_LEFT;
const RIGHT = 24;
const PLOT = TIMELINE_WIDTH - LEFT - RIGHT;
const LANE = 16;
/** The shortest axis: equal times (or none) still get an hour, not a division by zero. */
const MIN_SPAN = 3600;

/** What to draw: by default everything, from before the first event to the read, with a legend. */
export interface TimelineOptions {
  /** A close-up of [from, to] only (see {@link closeUpRange}). */
  range?: { from: number; to: number };
  /** Prefixed to every mark's class, so that a close-up's marks never count as the main one's. */
  classPrefix?: string;
  /** Draw the legend (default true). */
  legend?: boolean;
}

interface Scale {
  t0: number;
  t1: number;
  /** The x of time t, clamped to the plot (a band that starts earlier starts at its edge). */
  x: (t: number) => number;
  /** Whether t is on the axis: a mark at one time outside it is not drawn. */
  has: (t: number) => boolean;
}

/** What every part of one panel draws with. */
interface Panel {
  r: IncidentReport;
  w: Words;
  s: Scale;
  /** A mark's class in this panel. */
  c: (name: string) => string;
}

function scale(t0: number, t1: number): Scale {
  const x = (t: number) => LEFT + ((Math.min(Math.max(t, t0), t1) - t0) / (t1 - t0)) * PLOT;
  return { t0, t1, x, has: (t) => t >= t0 && t <= t1 };
}

/** Every time the timeline draws, to fit the axis to them. */
function drawnTimes(r: IncidentReport): number[] {
  const t: number[] = [];
  for (const w of r.windows) t.push(w.startTime, w.endTime ?? r.readAt.time);
  for (const i of r.incidents) t.push(i.at);
  for (const p of r.payments) t.push(p.settledAt, p.claim?.at ?? 0, p.refund?.at ?? 0);
  for (const b of r.batches) t.push(b.firstServedAt, b.lastServedAt, b.anchoredAt);
  for (const x of r.records.items) t.push(x.servedAt);
  if (r.closedAt !== null) t.push(r.closedAt.time);
  return t.filter((v) => Number.isFinite(v) && v > 0);
}

/** From a little before the first time drawn (else the registration) to just after the read. */
function fullScale(r: IncidentReport): Scale {
  const end = r.readAt.time;
  const times = drawnTimes(r);
  const first =
    times.length > 0 ? times.reduce((a, b) => Math.min(a, b)) : r.versionRecord.registeredAt;
  const span = Math.max(end - Math.min(first || end, end), MIN_SPAN);
  return scale(end - span * 1.04, end + span * 0.02);
}

/**
 * The hours around the close (as long before it as from it to the read), when they would take
 * less than a third of the full timeline; null otherwise, or before any close.
 */
export function closeUpRange(r: IncidentReport): { from: number; to: number } | null {
  if (r.closedAt === null) return null;
  const after = Math.max(r.readAt.time - r.closedAt.time, MIN_SPAN / 2);
  const from = r.closedAt.time - after;
  const full = fullScale(r);
  return r.readAt.time - from < (full.t1 - full.t0) / 3 ? { from, to: r.readAt.time } : null;
}

const laneCount = (lanes: number[]) => lanes.reduce((a, b) => Math.max(a, b + 1), 1);

interface Row {
  y: number;
  h: number;
}

/** A row's background stripe, drawn under the grid so that the grid shows through. */
function stripe(row: Row, index: number): string {
  const fill = index % 2 === 0 ? "#f4f6f9" : "#ffffff";
  return `<rect x="0" y="${n(row.y)}" width="${TIMELINE_WIDTH}" height="${n(row.h)}" fill="${fill}"/>`;
}

/** A row's label (left of the axis) and its marks. */
function rowGroup(row: Row, text: string, attrs: string, body: string[]): string {
  const name = text.length > 17 ? `${text.slice(0, 16)}…` : text;
  const y = row.y + row.h / 2 + 4;
  return `<g${attrs}>${label(LEFT - 10, y, name, ` text-anchor="end" class="row-label"`)}${body.join("")}</g>`;
}

function windowMarks(p: Panel, row: Row): string[] {
  const { r, s } = p;
  return r.windows
    .filter((w) => w.startTime <= s.t1 && (w.endTime ?? r.readAt.time) >= s.t0)
    .map((w) => {
      const x = s.x(w.startTime);
      const width = w.neverLive ? 2 : Math.max(s.x(w.endTime ?? r.readAt.time) - x, 2);
      const what = w.neverLive
        ? `epoch ${w.epoch}: never live (opened and closed at ${formatTime(w.startTime)})`
        : `epoch ${w.epoch}: ${formatTime(w.startTime)} to ${w.endTime === null ? "now (open)" : `${formatTime(w.endTime)} (${w.endReason})`}`;
      const style = w.neverLive
        ? `fill="${COLORS.neverLive}"`
        : `fill="${COLORS.windowFill}" stroke="${COLORS.window}" stroke-width="1.5"`;
      const text = `epoch ${w.epoch}${w.endTime === null ? " (open)" : ""}`;
      const inside = !w.neverLive && text.length * CHAR + 12 < width;
      return (
        `<rect class="${p.c("window")}" data-epoch="${w.epoch}" data-never-live="${w.neverLive}" x="${n(x)}" y="${n(row.y + 5)}" width="${n(width)}" height="${n(row.h - 10)}" ${style}>${title(what)}</rect>` +
        (inside ? label(x + 6, row.y + row.h / 2 + 4, text, ` class="in-band"`) : "")
      );
    });
}

/** A batch: its records' served range, a line to its anchoring, and a tick at the anchoring. */
function batchMarks(p: Panel, b: ReportBatch, row: Row): string {
  const { s, w } = p;
  const mid = row.y + row.h / 2;
  const color = colorOf(b.evidence.status);
  const x0 = s.x(b.firstServedAt);
  const x1 = Math.max(s.x(b.lastServedAt), x0 + 2);
  const xa = s.x(b.anchoredAt);
  const dash = b.evidence.status === "missing" ? ` stroke-dasharray="3 2"` : "";
  const what = `batch ${short(b.root)} by ${w.who(b.node)}: ${b.count} records served ${formatTime(b.firstServedAt)} to ${formatTime(b.lastServedAt)}, anchored ${formatTime(b.anchoredAt)}; ${w.evidence(b)}`;
  return (
    `<rect x="${n(x0)}" y="${n(mid - 3)}" width="${n(x1 - x0)}" height="6" fill="${color}" opacity="0.35"/>` +
    `<line x1="${n(x1)}" y1="${n(mid)}" x2="${n(xa)}" y2="${n(mid)}" stroke="${color}" stroke-width="1" opacity="0.6"/>` +
    `<line class="${p.c("batch")}" data-status="${b.evidence.status}" x1="${n(xa)}" y1="${n(row.y + 4)}" x2="${n(xa)}" y2="${n(row.y + row.h - 4)}" stroke="${color}" stroke-width="3.5"${dash}>${title(what)}</line>`
  );
}

/**
 * A node's routing acknowledgements on its row: a flag at each (the switch away from the version
 * after the close in its own colour, `class="switch"`); nothing when no NodeRouting was given.
 */
function ackMarks(p: Panel, node: string, row: Row): string[] {
  const info = p.r.routing?.nodes.find((x) => x.node === node);
  if (info === undefined) return [];
  return info.acknowledgements
    .filter((a) => p.s.has(a.at))
    .map((a) => {
      const isSwitch = a.at === info.switchedAt;
      const x = n(p.s.x(a.at));
      const cls = isSwitch ? p.c("switch") : p.c("ack");
      const color = isSwitch ? "#6a1b9a" : "#8e8e8e";
      const what = `${p.w.who(node)} acknowledged epoch ${a.epoch} at ${formatTime(a.at)}${isSwitch ? `: its switch, ${info.lagSeconds} s after the close` : ""}`;
      return (
        `<g class="${cls}" data-epoch="${a.epoch}">` +
        `<line x1="${x}" y1="${n(row.y + 2)}" x2="${x}" y2="${n(row.y + row.h - 2)}" stroke="${color}" stroke-width="1.5" stroke-dasharray="2 2"/>` +
        `<path d="M${x} ${n(row.y + 2)} l7 3 l-7 3 z" fill="${color}">${title(what)}</path></g>`
      );
    });
}

function nodeRows(p: Panel, rows: Row[], nodes: string[]): string[] {
  return nodes.map((node, k) => {
    const body = [
      ...p.r.batches
        .filter((b) => b.node === node && p.s.has(b.anchoredAt))
        .map((b) => batchMarks(p, b, rows[k])),
      ...ackMarks(p, node, rows[k]),
    ];
    const attrs = ` class="${p.c("node-row")}" data-node="${escapeXml(node)}"`;
    return rowGroup(rows[k], p.w.who(node), attrs, body);
  });
}

/** A payment: a dot when settled, a line to its claim (square) or refund (diamond). */
function paymentMarks(p: Panel, x: ReportPayment, y: number): string {
  const { s, w } = p;
  const done = x.claim ?? x.refund;
  const color = colorOf(x.state);
  const what = `payment ${short(x.settlementId)}: ${w.who(x.payer)} paid ${w.who(x.payee)} ${w.amount(x.token, x.amount)} at ${formatTime(x.settledAt)}; ${x.state}${x.openStatus === null ? "" : `, ${x.openStatus}`}`;
  let out = "";
  if (done !== null) {
    out += `<line x1="${n(s.x(x.settledAt))}" y1="${n(y)}" x2="${n(s.x(done.at))}" y2="${n(y)}" stroke="${color}" stroke-width="1.5" opacity="0.7"/>`;
  }
  if (s.has(x.settledAt)) {
    out += `<circle class="${p.c("payment")}" data-state="${escapeXml(x.state)}" cx="${n(s.x(x.settledAt))}" cy="${n(y)}" r="4.5" fill="${color}" stroke="#333" stroke-width="0.8">${title(what)}</circle>`;
  }
  if (x.claim !== null && s.has(x.claim.at)) {
    out += outcomeMark(
      "claim",
      p.c("claim"),
      s.x(x.claim.at),
      y,
      `claimed ${formatTime(x.claim.at)}`,
    );
  }
  if (x.refund !== null && s.has(x.refund.at)) {
    const why = `refunded ${formatTime(x.refund.at)} (${x.refund.reason})`;
    out += outcomeMark("refund", p.c("refund"), s.x(x.refund.at), y, why);
  }
  return out;
}

/**
 * Marks per row at most: a network's 10^5 payments would make a page of hundreds of megabytes
 * that no one reads mark by mark; beyond it, an even sample is drawn (the tables and the JSON
 * Lines files hold every one).
 */
export const MAX_MARKS = 500;

/** At most `max` of `items`, evenly spread, in order. */
function evenly<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const step = items.length / max;
  return Array.from({ length: max }, (_, i) => items[Math.floor(i * step)]);
}

/** The payments on the axis, each with its lane (settled to claimed/refunded, overlapping). */
function paymentLanes(p: Panel): Array<[ReportPayment, number]> {
  const shown = evenly(
    p.r.payments.filter(
      (x) => x.settledAt <= p.s.t1 && (x.claim?.at ?? x.refund?.at ?? x.settledAt) >= p.s.t0,
    ),
    MAX_MARKS,
  );
  const end = (x: ReportPayment) => x.claim?.at ?? x.refund?.at ?? x.settledAt;
  const lanes = stack(
    shown.map((x) => [p.s.x(x.settledAt) - 6, p.s.x(end(x)) + 6]),
    6,
  );
  return shown.map((x, i) => [x, lanes[i]]);
}

/** The records on the axis, each with its lane (dots that would touch go one lane down). */
function recordLanes(p: Panel): Array<[ReportRecord, number]> {
  const shown = evenly(
    p.r.records.items.filter((x) => p.s.has(x.servedAt)),
    MAX_MARKS,
  );
  const lanes = stack(
    shown.map((x) => [p.s.x(x.servedAt) - 4, p.s.x(x.servedAt) + 4]),
    4,
  );
  return shown.map((x, i) => [x, lanes[i]]);
}

function recordDots(p: Panel, row: Row, records: Array<[ReportRecord, number]>): string[] {
  const lanes = laneCount(records.map(([, l]) => l));
  const cy = (lane: number) =>
    lanes === 1 ? row.y + row.h / 2 : row.y + 7 + (lane * (row.h - 14)) / (lanes - 1);
  return records.map(
    ([x, lane]) =>
      `<circle class="${p.c("record")}" data-served="${x.served}" cx="${n(p.s.x(x.servedAt))}" cy="${n(cy(lane))}" r="3.2" fill="${COLORS[x.served]}">` +
      title(`${p.w.record(x)} (${x.served})`) +
      `</circle>`,
  );
}

/** A step between axis ticks that gives at most 8 of them. */
const STEPS = [60, 300, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

function axis(s: Scale, y: number, top: number): string {
  const step =
    STEPS.find((x) => (s.t1 - s.t0) / x <= 8) ?? Math.ceil((s.t1 - s.t0) / 8 / 86400) * 86400;
  const out = [
    `<line x1="${LEFT}" y1="${n(y)}" x2="${TIMELINE_WIDTH - RIGHT}" y2="${n(y)}" stroke="#555"/>`,
    label(LEFT - 10, y + 17, "UTC", ` text-anchor="end" class="axis-label"`),
  ];
  let lastDate = "";
  for (let t = Math.ceil(s.t0 / step) * step; t <= s.t1; t += step) {
    const x = n(s.x(t));
    const [date, clock] = formatTime(t).split(" ");
    out.push(
      `<line x1="${x}" y1="${n(top)}" x2="${x}" y2="${n(y)}" stroke="#d5d9e0" stroke-width="1"/>`,
      `<line x1="${x}" y1="${n(y)}" x2="${x}" y2="${n(y + 5)}" stroke="#555"/>`,
      label(
        s.x(t),
        y + 17,
        step >= 86400 ? date : clock.slice(0, 5),
        ` text-anchor="middle" class="axis-label"`,
      ),
    );
    if (step < 86400 && date !== lastDate) {
      out.push(label(s.x(t), y + 30, date, ` text-anchor="middle" class="axis-date"`));
    }
    lastDate = date;
  }
  return out.join("");
}

interface Vertical {
  flag: Flag;
  /** The group's opening tag (its class, data and tooltip). */
  open: string;
  stroke: string;
  color: string;
}

/** The incidents, the close and the read: a line through the rows, a label above them. */
function verticalsOf(p: Panel): Vertical[] {
  const { r, s } = p;
  const out: Vertical[] = r.incidents
    .filter((i) => s.has(i.at))
    .map((i) => ({
      flag: {
        x: s.x(i.at),
        text: i.kind === "rollback" ? `#${i.id} rollback → v${i.target}` : `#${i.id} revoke`,
      },
      open:
        `<g class="${p.c("incident")}" data-id="${i.id}">` +
        title(
          `incident #${i.id}: ${i.kind} at ${formatTime(i.at)}, v${r.version} ${i.disposition}`,
        ),
      stroke: `stroke="${COLORS.incident}" stroke-width="2.5"`,
      color: COLORS.incident,
    }));
  if (r.closedAt !== null && s.has(r.closedAt.time)) {
    out.push({
      flag: { x: s.x(r.closedAt.time), text: `closed ${formatTime(r.closedAt.time)}` },
      open: `<g class="${p.c("close")}">`,
      stroke: `stroke="${COLORS.close}" stroke-width="1.5" stroke-dasharray="6 4"`,
      color: COLORS.close,
    });
  }
  out.push({
    flag: { x: s.x(r.readAt.time), text: `read ${formatTime(r.readAt.time)}` },
    open: `<g class="${p.c("read-at")}">`,
    stroke: `stroke="${COLORS.readAt}" stroke-width="1" stroke-dasharray="2 3"`,
    color: COLORS.readAt,
  });
  return out;
}

/** Each line from its label's lane down; the labels haloed in white, over the lines below. */
function drawVerticals(items: Vertical[], placed: Placed[], bottom: number) {
  const y = (p: Placed) => 6 + p.lane * LANE + 11;
  const lines = items.map(
    (item, k) =>
      `${item.open}<line x1="${n(item.flag.x)}" y1="${n(y(placed[k]) - 9)}" x2="${n(item.flag.x)}" y2="${n(bottom)}" ${item.stroke}/></g>`,
  );
  const attrs = (item: Vertical, p: Placed) =>
    ` text-anchor="${p.anchor}" fill="${item.color}" class="flag" stroke="#fff" stroke-width="3" paint-order="stroke"`;
  const labels = items.map((item, k) =>
    label(placed[k].tx, y(placed[k]), item.flag.text, attrs(item, placed[k])),
  );
  return { lines, labels };
}

/**
 * The report's timeline as an SVG element (fixed width, finite coordinates whatever the times,
 * all text escaped): windows, incidents, the close, batches per node, payments, records, an axis
 * in UTC and a legend.
 */
export function timelineSvg(report: IncidentReport, options: TimelineOptions = {}): string {
  const range = options.range;
  const s =
    range === undefined
      ? fullScale(report)
      : scale(range.from, Math.max(range.to, range.from + 60));
  const prefix = options.classPrefix ?? "";
  const p: Panel = {
    r: report,
    w: new Words(report, { labels: report.labels }),
    s,
    c: (x) => prefix + x,
  };
  const nodes = [
    ...new Set([
      ...report.batches.map((b) => b.node),
      ...(report.routing?.nodes ?? [])
        .filter((x) => x.acknowledgements.length > 0)
        .map((x) => x.node),
    ]),
  ];
  const payments = paymentLanes(p);
  const records = recordLanes(p);
  const verticals = verticalsOf(p);
  const placed = placeFlags(verticals.map((x) => x.flag));
  let y = 6 + laneCount(placed.map((x) => x.lane)) * LANE + 8;
  const top = y;
  const rowAt = (h: number): Row => {
    y += h;
    return { y: y - h, h };
  };
  const windows = rowAt(36);
  const nodeRowsAt = nodes.map(() => rowAt(30));
  const payRow = rowAt(Math.max(30, 10 + laneCount(payments.map(([, l]) => l)) * 12));
  const recordRow = rowAt(Math.max(26, 12 + laneCount(records.map(([, l]) => l)) * 8));
  const bottom = y;
  const leg = options.legend === false ? { svg: "", height: 0 } : legend(bottom + 58);
  const height = bottom + 48 + leg.height + (leg.height > 0 ? 10 : 0);
  const v = `v${report.version}`;
  const { lines, labels } = drawVerticals(verticals, placed, bottom);
  const payMarks = payments.map(([x, lane]) => paymentMarks(p, x, payRow.y + 10 + lane * 12));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline${prefix === "" ? "" : ` ${prefix}timeline`}" width="${TIMELINE_WIDTH}" height="${n(height)}" viewBox="0 0 ${TIMELINE_WIDTH} ${n(height)}" role="img" aria-label="${escapeXml(`Timeline of ${v}`)}">`,
    `<rect x="0" y="0" width="${TIMELINE_WIDTH}" height="${n(height)}" fill="#ffffff"/>`,
    ...[windows, ...nodeRowsAt, payRow, recordRow].map(stripe),
    axis(s, bottom + 8, top),
    ...lines,
    rowGroup(windows, `${v} windows`, ` class="${p.c("windows-row")}"`, windowMarks(p, windows)),
    ...nodeRows(p, nodeRowsAt, nodes),
    rowGroup(
      payRow,
      p.r.payments.length > MAX_MARKS
        ? `payments (${MAX_MARKS} of ${p.r.payments.length})`
        : "payments",
      ` class="${p.c("payments-row")}"`,
      payMarks,
    ),
    rowGroup(
      recordRow,
      p.r.records.total > records.length
        ? `records of ${v} (${records.length} of ${p.r.records.total})`
        : `records of ${v}`,
      ` class="${p.c("records-row")}"`,
      recordDots(p, recordRow, records),
    ),
    ...labels,
    leg.svg,
    `</svg>`,
  ].join("\n");
}
