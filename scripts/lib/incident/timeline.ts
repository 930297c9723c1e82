/**
 * The incident's timeline as one inline SVG, computed here (no plotting library, nothing
 * fetched): the version's windows, its incidents and the close, each node's batches, the payments
 * and the records claiming the version, on one time axis ending when the report was read.
 */
import type { IncidentReport, ReportPayment } from "./types.js";
import {
  CHAR,
  COLORS,
  PLOT_LEFT,
  colorOf,
  escapeXml,
  label,
  legend,
  n,
  outcomeMark,
  title,
} from "./svg.js";
import { Words, formatTime, short } from "./words.js";

/** The SVG's width in pixels: fixed, so that a screenshot of the page reads the same anywhere. */
export const TIMELINE_WIDTH = 1100;
const LEFT = PLOT_LEFT;
const RIGHT = 24;
const PLOT = TIMELINE_WIDTH - LEFT - RIGHT;
const LANE = 16;
/** The shortest axis: equal times (or none) still get an hour, not a division by zero. */
const MIN_SPAN = 3600;

interface Scale {
  t0: number;
  t1: number;
  x: (t: number) => number;
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
function scaleOf(r: IncidentReport): Scale {
  const end = r.readAt.time;
  const times = drawnTimes(r);
  const first =
    times.length > 0 ? times.reduce((a, b) => Math.min(a, b)) : r.versionRecord.registeredAt;
  const span = Math.max(end - Math.min(first || end, end), MIN_SPAN);
  const t0 = end - span * 1.04;
  const t1 = end + span * 0.02;
  const x = (t: number) => LEFT + ((Math.min(Math.max(t, t0), t1) - t0) / (t1 - t0)) * PLOT;
  return { t0, t1, x };
}

/** A label above the rows, tied to a time (an incident, the close, the read). */
interface Flag {
  x: number;
  text: string;
}

interface Placed {
  lane: number;
  tx: number;
  anchor: "start" | "end";
}

/**
 * Lanes for the labels above the rows: each label sits right of its line (left of it near the
 * right edge), one lane down from any label it would overlap.
 */
function placeFlags(flags: Flag[]): Placed[] {
  const lanes: Array<Array<[number, number]>> = [];
  return flags.map((f) => {
    const width = f.text.length * CHAR;
    const right = f.x + 5 + width <= TIMELINE_WIDTH - 4;
    const box: [number, number] = right ? [f.x + 5, f.x + 5 + width] : [f.x - 5 - width, f.x - 5];
    let lane = lanes.findIndex((l) => l.every(([a, b]) => box[1] + 8 < a || box[0] > b + 8));
    if (lane === -1) lane = lanes.push([]) - 1;
    lanes[lane].push(box);
    return { lane, tx: right ? box[0] : box[1], anchor: right ? "start" : "end" };
  });
}

/** Lanes for marks on one row: each mark in the first lane where it does not touch another. */
function stack(spans: Array<[number, number]>, max: number): number[] {
  const ends: number[] = [];
  const lanes = new Array<number>(spans.length).fill(0);
  const order = spans.map((_, i) => i).sort((i, j) => spans[i][0] - spans[j][0]);
  for (const [k, i] of order.entries()) {
    const [a, b] = spans[i];
    let lane = ends.findIndex((e) => a > e + 3);
    // More lanes than `max` would make the row tall for little: cycle through them instead.
    if (lane === -1) lane = ends.length < max ? ends.push(-Infinity) - 1 : k % max;
    ends[lane] = Math.max(ends[lane], b);
    lanes[i] = lane;
  }
  return lanes;
}

interface Row {
  y: number;
  h: number;
}

/** A row's background stripe, drawn under the grid so that the grid shows through. */
function stripe(row: Row, index: number): string {
  const fill = index % 2 === 0 ? "#f4f6f9" : "#ffffff";
  return `<rect class="row" x="0" y="${n(row.y)}" width="${TIMELINE_WIDTH}" height="${n(row.h)}" fill="${fill}"/>`;
}

/** A row's label (left of the axis) and its marks. */
function rowGroup(row: Row, text: string, attrs: string, body: string[]): string {
  const name = text.length > 17 ? `${text.slice(0, 16)}…` : text;
  return (
    `<g${attrs}>` +
    label(LEFT - 10, row.y + row.h / 2 + 4, name, ` text-anchor="end" class="row-label"`) +
    body.join("") +
    `</g>`
  );
}

function windowsRow(r: IncidentReport, s: Scale, row: Row): string[] {
  return r.windows.map((w) => {
    const end = w.endTime ?? r.readAt.time;
    const x = s.x(w.startTime);
    const width = w.neverLive ? 2 : Math.max(s.x(end) - x, 2);
    const what = w.neverLive
      ? `epoch ${w.epoch}: never live (opened and closed at ${formatTime(w.startTime)})`
      : `epoch ${w.epoch}: ${formatTime(w.startTime)} to ${w.endTime === null ? "now (open)" : `${formatTime(w.endTime)} (${w.endReason})`}`;
    const style = w.neverLive
      ? `fill="${COLORS.neverLive}"`
      : `fill="${COLORS.windowFill}" stroke="${COLORS.window}" stroke-width="1.5"`;
    const text = `epoch ${w.epoch}${w.endTime === null ? " (open)" : ""}`;
    const inside = !w.neverLive && text.length * CHAR + 12 < width;
    return (
      `<rect class="window" data-epoch="${w.epoch}" data-never-live="${w.neverLive}" x="${n(x)}" y="${n(row.y + 5)}" width="${n(width)}" height="${n(row.h - 10)}" ${style}>${title(what)}</rect>` +
      (inside ? label(x + 6, row.y + row.h / 2 + 4, text, ` class="in-band"`) : "")
    );
  });
}

function nodeRows(w: Words, s: Scale, rows: Row[], nodes: string[]): string[] {
  return nodes.map((node, k) => {
    const row = rows[k];
    const mid = row.y + row.h / 2;
    const body = w.report.batches
      .filter((b) => b.node === node)
      .map((b) => {
        const color = colorOf(b.evidence.status);
        const x0 = s.x(b.firstServedAt);
        const x1 = Math.max(s.x(b.lastServedAt), x0 + 2);
        const xa = s.x(b.anchoredAt);
        const dash = b.evidence.status === "missing" ? ` stroke-dasharray="3 2"` : "";
        return (
          `<rect class="batch-span" x="${n(x0)}" y="${n(mid - 3)}" width="${n(x1 - x0)}" height="6" fill="${color}" opacity="0.35"/>` +
          `<line class="batch-delay" x1="${n(x1)}" y1="${n(mid)}" x2="${n(xa)}" y2="${n(mid)}" stroke="${color}" stroke-width="1" opacity="0.6"/>` +
          `<line class="batch" data-status="${b.evidence.status}" x1="${n(xa)}" y1="${n(row.y + 4)}" x2="${n(xa)}" y2="${n(row.y + row.h - 4)}" stroke="${color}" stroke-width="3.5"${dash}>` +
          title(
            `batch ${short(b.root)} by ${w.who(b.node)}: ${b.count} records served ${formatTime(b.firstServedAt)} to ${formatTime(b.lastServedAt)}, anchored ${formatTime(b.anchoredAt)}; ${w.evidence(b)}`,
          ) +
          `</line>`
        );
      });
    return rowGroup(row, w.who(node), ` class="node-row" data-node="${escapeXml(node)}"`, body);
  });
}

function paymentMarks(w: Words, s: Scale, p: ReportPayment, y: number): string {
  const x = s.x(p.settledAt);
  const done = p.claim ?? p.refund;
  const color = colorOf(p.state);
  const what = `payment ${short(p.settlementId)}: ${w.who(p.payer)} paid ${w.who(p.payee)} ${w.amount(p.token, p.amount)} at ${formatTime(p.settledAt)}; ${p.state}${p.openStatus === null ? "" : `, ${p.openStatus}`}`;
  let out = "";
  if (done !== null) {
    out += `<line class="payment-span" x1="${n(x)}" y1="${n(y)}" x2="${n(s.x(done.at))}" y2="${n(y)}" stroke="${color}" stroke-width="1.5" opacity="0.7"/>`;
  }
  out += `<circle class="payment" data-state="${escapeXml(p.state)}" cx="${n(x)}" cy="${n(y)}" r="4.5" fill="${color}" stroke="#333" stroke-width="0.8">${title(what)}</circle>`;
  if (p.claim !== null) {
    out += outcomeMark("claim", s.x(p.claim.at), y, `claimed ${formatTime(p.claim.at)}`);
  }
  if (p.refund !== null) {
    out += outcomeMark(
      "refund",
      s.x(p.refund.at),
      y,
      `refunded ${formatTime(p.refund.at)} (${p.refund.reason})`,
    );
  }
  return out;
}

/** The payments row's marks, one lane per overlapping payment (settled to claimed/refunded). */
function paymentLanes(r: IncidentReport, s: Scale): number[] {
  return stack(
    r.payments.map((p) => {
      const end = p.claim?.at ?? p.refund?.at ?? p.settledAt;
      return [s.x(p.settledAt) - 6, s.x(end) + 6];
    }),
    6,
  );
}

function recordLanes(r: IncidentReport, s: Scale): number[] {
  return stack(
    r.records.items.map((x) => [s.x(x.servedAt) - 4, s.x(x.servedAt) + 4]),
    4,
  );
}

function recordDots(w: Words, s: Scale, row: Row, lanes: number[]): string[] {
  return w.report.records.items.map(
    (x, i) =>
      `<circle class="record" data-served="${x.served}" cx="${n(s.x(x.servedAt))}" cy="${n(row.y + 9 + lanes[i] * 8)}" r="3.2" fill="${COLORS[x.served]}">` +
      title(`${w.record(x)} (${x.served})`) +
      `</circle>`,
  );
}

/** A step between axis ticks that gives at most 8 of them. */
const STEPS = [60, 300, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

function axis(s: Scale, y: number, top: number): string {
  const step =
    STEPS.find((x) => (s.t1 - s.t0) / x <= 8) ?? Math.ceil((s.t1 - s.t0) / 8 / 86400) * 86400;
  const out = [
    `<line class="axis" x1="${LEFT}" y1="${n(y)}" x2="${TIMELINE_WIDTH - RIGHT}" y2="${n(y)}" stroke="#555"/>`,
    label(LEFT - 10, y + 15, "UTC", ` text-anchor="end" class="axis-label"`),
  ];
  let lastDate = "";
  for (let t = Math.ceil(s.t0 / step) * step; t <= s.t1; t += step) {
    const x = s.x(t);
    const [date, clock] = formatTime(t).split(" ");
    out.push(
      `<line class="grid" x1="${n(x)}" y1="${n(top)}" x2="${n(x)}" y2="${n(y)}" stroke="#d5d9e0" stroke-width="1"/>`,
      `<line class="tick" x1="${n(x)}" y1="${n(y)}" x2="${n(x)}" y2="${n(y + 5)}" stroke="#555"/>`,
    );
    const first = step >= 86400 ? date : clock.slice(0, 5);
    out.push(label(x, y + 17, first, ` text-anchor="middle" class="axis-label"`));
    if (step < 86400 && date !== lastDate) {
      out.push(label(x, y + 30, date, ` text-anchor="middle" class="axis-date"`));
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
function verticalsOf(r: IncidentReport, s: Scale): Vertical[] {
  const out: Vertical[] = r.incidents.map((i) => ({
    flag: {
      x: s.x(i.at),
      text: i.kind === "rollback" ? `#${i.id} rollback → v${i.target}` : `#${i.id} revoke`,
    },
    open:
      `<g class="incident" data-id="${i.id}">` +
      title(`incident #${i.id}: ${i.kind} at ${formatTime(i.at)}, v${r.version} ${i.disposition}`),
    stroke: `stroke="${COLORS.incident}" stroke-width="2.5"`,
    color: COLORS.incident,
  }));
  if (r.closedAt !== null) {
    out.push({
      flag: { x: s.x(r.closedAt.time), text: `closed ${formatTime(r.closedAt.time)}` },
      open: `<g class="close">`,
      stroke: `stroke="${COLORS.close}" stroke-width="1.5" stroke-dasharray="6 4"`,
      color: COLORS.close,
    });
  }
  out.push({
    flag: { x: s.x(r.readAt.time), text: `read ${formatTime(r.readAt.time)}` },
    open: `<g class="read-at">`,
    stroke: `stroke="${COLORS.readAt}" stroke-width="1" stroke-dasharray="2 3"`,
    color: COLORS.readAt,
  });
  return out;
}

function drawVerticals(items: Vertical[], placed: Placed[], bottom: number): string[] {
  return items.map((item, k) => {
    const p = placed[k];
    const y = 6 + p.lane * LANE + 11;
    const x = n(item.flag.x);
    return (
      item.open +
      `<line x1="${x}" y1="${n(y - 9)}" x2="${x}" y2="${n(bottom)}" ${item.stroke}/>` +
      label(
        p.tx,
        y,
        item.flag.text,
        ` text-anchor="${p.anchor}" fill="${item.color}" class="flag"`,
      ) +
      `</g>`
    );
  });
}

/**
 * The report's timeline as an SVG element (fixed width, finite coordinates whatever the times,
 * all text escaped): windows, incidents, the close, batches per node, payments, records, an axis
 * in UTC and a legend.
 */
export function timelineSvg(report: IncidentReport): string {
  const w = new Words(report, { labels: report.labels });
  const s = scaleOf(report);
  const nodes = [...new Set(report.batches.map((b) => b.node))];
  const pay = paymentLanes(report, s);
  const rec = recordLanes(report, s);
  const laneCount = (lanes: number[]) => lanes.reduce((a, b) => Math.max(a, b + 1), 1);
  const verticals = verticalsOf(report, s);
  const placed = placeFlags(verticals.map((x) => x.flag));
  let y = 6 + laneCount(placed.map((p) => p.lane)) * LANE + 8;
  const top = y;
  const rowAt = (h: number): Row => {
    const row = { y, h };
    y += h;
    return row;
  };
  const windows = rowAt(36);
  const nodeRowsAt = nodes.map(() => rowAt(30));
  const payments = rowAt(Math.max(30, 10 + laneCount(pay) * 12));
  const records = rowAt(Math.max(26, 10 + laneCount(rec) * 8));
  const bottom = y;
  const leg = legend(bottom + 58);
  const height = bottom + 58 + leg.height;
  const v = `v${report.version}`;
  const payMarks = report.payments.map((p, i) =>
    paymentMarks(w, s, p, payments.y + 10 + pay[i] * 12),
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="${TIMELINE_WIDTH}" height="${n(height)}" viewBox="0 0 ${TIMELINE_WIDTH} ${n(height)}" role="img" aria-label="${escapeXml(`Timeline of ${v}`)}">`,
    `<rect x="0" y="0" width="${TIMELINE_WIDTH}" height="${n(height)}" fill="#ffffff"/>`,
    ...[windows, ...nodeRowsAt, payments, records].map(stripe),
    axis(s, bottom + 8, top),
    ...drawVerticals(verticals, placed, bottom),
    rowGroup(windows, `${v} windows`, ` class="windows-row"`, windowsRow(report, s, windows)),
    ...nodeRows(w, s, nodeRowsAt, nodes),
    rowGroup(payments, "payments", ` class="payments-row"`, payMarks),
    rowGroup(records, `records of ${v}`, ` class="records-row"`, recordDots(w, s, records, rec)),
    leg.svg,
    `</svg>`,
  ].join("\n");
}
