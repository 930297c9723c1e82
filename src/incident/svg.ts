/**
 * SVG pieces of the timeline (./timeline.ts): escaping, coordinates, colours, lanes that keep
 * labels and marks apart, the legend.
 */

/** The SVG's width in pixels: fixed, so that a screenshot of the page reads the same anywhere. */
export const TIMELINE_WIDTH = 1100;
/** The left margin of the plot, where the rows' labels end. */
export const PLOT_LEFT = 118;
/** Estimated glyph width at 11 px: used to keep labels from running into each other. */
export const CHAR = 6.3;

/** The colours, by what they mark; distinguishable in pairs that share a row. */
export const COLORS = {
  window: "#3b78c9",
  windowFill: "#cfe0f7",
  neverLive: "#6d6d6d",
  incident: "#c62828",
  close: "#212121",
  readAt: "#8a8a8a",
  verified: "#2e7d32",
  missing: "#ef6c00",
  unavailable: "#8d6e63",
  corrupt: "#ad1457",
  Claimed: "#1565c0",
  Refunded: "#7b1fa2",
  Open: "#f9a825",
  Contested: "#e64a19",
  Proven: "#00897b",
  otherState: "#616161",
  live: "#43a047",
  "after-close": "#d32f2f",
  "outside-windows": "#9e9e9e",
} as const;

/** Escapes text for HTML and SVG, in element content and in quoted attributes. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A batch's evidence status or a payment's state as a colour; one not known here draws grey. */
export const colorOf = (key: string): string =>
  (COLORS as Record<string, string>)[key] ?? COLORS.otherState;

/** A coordinate, to a tenth of a pixel; a non-finite value (never expected) draws at 0, not NaN. */
export function n(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v * 10) / 10) : "0";
}

export const title = (text: string) => `<title>${escapeXml(text)}</title>`;

/** Text at (x, y); `attrs` starts with a space. */
export function label(x: number, y: number, text: string, attrs = ""): string {
  return `<text x="${n(x)}" y="${n(y)}"${attrs}>${escapeXml(text)}</text>`;
}

/** A label above the rows, tied to a time (an incident, the close, the read). */
export interface Flag {
  x: number;
  text: string;
}

export interface Placed {
  lane: number;
  tx: number;
  anchor: "start" | "end";
}

/**
 * Lanes for the labels above the rows: each label sits right of its line (left of it near the
 * right edge), one lane down from any label it would overlap. Each line starts at its label's
 * lane, so labels right of their line are laid from the left and labels left of it from the
 * right: a line then only passes lanes whose labels end before it.
 */
export function placeFlags(flags: Flag[]): Placed[] {
  const boxes = flags.map((f) => {
    const width = f.text.length * CHAR;
    const right = f.x + 5 + width <= TIMELINE_WIDTH - 4;
    return { right, box: right ? [f.x + 5, f.x + 5 + width] : [f.x - 5 - width, f.x - 5] };
  });
  const order = flags
    .map((_, i) => i)
    .sort((i, j) =>
      boxes[i].right !== boxes[j].right
        ? boxes[i].right
          ? -1
          : 1
        : boxes[i].right
          ? flags[i].x - flags[j].x
          : flags[j].x - flags[i].x,
    );
  const lanes: number[][][] = [];
  const placed: Placed[] = new Array<Placed>(flags.length);
  for (const i of order) {
    const { right, box } = boxes[i];
    let lane = lanes.findIndex((l) => l.every(([a, b]) => box[1] + 8 < a || box[0] > b + 8));
    if (lane === -1) lane = lanes.push([]) - 1;
    lanes[lane].push(box);
    placed[i] = { lane, tx: right ? box[0] : box[1], anchor: right ? "start" : "end" };
  }
  return placed;
}

/** Lanes for marks on one row: each mark in the first lane where it does not touch another. */
export function stack(spans: Array<[number, number]>, max: number): number[] {
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

/** A claim (square) or a refund (diamond) at its time; `cls` is its class attribute. */
export function outcomeMark(
  kind: "claim" | "refund",
  cls: string,
  x: number,
  y: number,
  what: string,
): string {
  if (kind === "claim") {
    return `<rect class="${cls}" x="${n(x - 4)}" y="${n(y - 4)}" width="8" height="8" fill="${COLORS.Claimed}" stroke="#0d2c55" stroke-width="1">${title(what)}</rect>`;
  }
  const d = `M${n(x)} ${n(y - 5.5)}L${n(x + 5.5)} ${n(y)}L${n(x)} ${n(y + 5.5)}L${n(x - 5.5)} ${n(y)}Z`;
  return `<path class="${cls}" d="${d}" fill="${COLORS.Refunded}" stroke="#3b0a50" stroke-width="1">${title(what)}</path>`;
}

/** A routing acknowledgement's flag (as on a node's row of the timeline). */
function flag(color: string): string {
  return `<path d="M2 -6 l7 3 l-7 3 z" fill="${color}"/><line x1="2" y1="-6" x2="2" y2="7" stroke="${color}" stroke-width="1.5"/>`;
}

/** The legend: one line per row kind, each mark with its meaning. */
export function legend(y: number): { svg: string; height: number } {
  const line = (k: number, head: string, items: Array<[string, string]>) => {
    let x = PLOT_LEFT;
    const yy = y + k * 20;
    const out = [label(10, yy + 4, head, ` class="legend-head"`)];
    for (const [mark, text] of items) {
      out.push(
        `<g transform="translate(${n(x)},${n(yy)})">${mark}</g>`,
        label(x + 16, yy + 4, text),
      );
      x += 16 + text.length * CHAR + 18;
    }
    return out.join("");
  };
  const bar = (fill: string, stroke = "none", w = 12) =>
    `<rect x="0" y="-5" width="${w}" height="10" fill="${fill}" stroke="${stroke}"/>`;
  const vline = (attrs: string) => `<line x1="5" y1="-7" x2="5" y2="7" ${attrs}/>`;
  const dot = (fill: string, r = 4.5) =>
    `<circle cx="5" cy="0" r="${r}" fill="${fill}" stroke="#333" stroke-width="0.6"/>`;
  const svg = [
    line(0, "version", [
      [bar(COLORS.windowFill, COLORS.window), "window (live)"],
      [bar(COLORS.neverLive, "none", 2), "window never live"],
      [vline(`stroke="${COLORS.incident}" stroke-width="2.5"`), "incident"],
      [
        vline(`stroke="${COLORS.close}" stroke-width="1.5" stroke-dasharray="3 2"`),
        "last window closed",
      ],
      [vline(`stroke="${COLORS.readAt}" stroke-dasharray="2 2"`), "report read"],
    ]),
    line(1, "batches", [
      [vline(`stroke="${COLORS.verified}" stroke-width="3.5"`), "anchored, verified"],
      [
        vline(`stroke="${COLORS.missing}" stroke-width="3.5" stroke-dasharray="3 2"`),
        "anchored, MISSING",
      ],
      [vline(`stroke="${COLORS.unavailable}" stroke-width="3.5"`), "anchored, unavailable"],
      [vline(`stroke="${COLORS.corrupt}" stroke-width="3.5"`), "anchored, CORRUPT"],
      [bar(COLORS.verified + "59"), "records' served range"],
    ]),
    line(2, "payments", [
      ...(["Claimed", "Refunded", "Open", "Contested", "Proven"] as const).map(
        (state): [string, string] => [dot(COLORS[state]), `settled, now ${state}`],
      ),
      [outcomeMark("claim", "legend-mark", 5, 0, "claim"), "claim"],
      [outcomeMark("refund", "legend-mark", 5, 0, "refund"), "refund"],
    ]),
    line(3, "records", [
      [dot(COLORS.live, 3.2), "served while live"],
      [dot(COLORS["after-close"], 3.2), "served after the close (stale)"],
      [dot(COLORS["outside-windows"], 3.2), "served outside the windows"],
    ]),
    line(4, "routing", [
      [flag("#8e8e8e"), "node acknowledged an epoch"],
      [flag("#6a1b9a"), "its switch after the close"],
    ]),
  ].join("");
  return { svg: `<g class="legend">${svg}</g>`, height: 5 * 20 };
}
