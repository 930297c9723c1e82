/**
 * The report as one self-contained HTML page for the incident dossier: the summary first (and
 * the evidence problems in a red box), the timeline as inline SVG, then the same tables as the
 * Markdown. Nothing is fetched: inline CSS, no script, no font or image from anywhere, and a
 * Content-Security-Policy that forbids loading anything should a cell ever smuggle markup in.
 */
import { summarizeIncident } from "./format.js";
import { escapeXml } from "./svg.js";
import { type ReportTable, problemHead, reportHeading, reportTables } from "./tables.js";
import { closeUpRange, timelineSvg } from "./timeline.js";
import type { IncidentReport } from "./types.js";
import { amountsText, formatTime, plural } from "./words.js";

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: #1d2330; margin: 24px auto; max-width: 1140px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h3 { font-size: 14px; margin: 14px 0 6px; color: #3c4452; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d5d9e0; padding-bottom: 3px; }
.sub { color: #5a6273; margin: 0 0 12px; overflow-wrap: anywhere; }
.facts { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0; padding: 0; list-style: none; }
.facts li { background: #eef2f7; border-radius: 4px; padding: 3px 9px; }
.facts li.bad { background: #fdecea; color: #8e0000; font-weight: 600; }
.summary { font-size: 15px; background: #f7f9fc; border-left: 4px solid #3b78c9;
  padding: 10px 14px; margin: 0; }
.problems { border: 2px solid #c62828; background: #fdecea; color: #5f0000;
  padding: 10px 16px; margin: 16px 0; border-radius: 4px; }
.problems h2 { color: #b71c1c; border: none; margin: 0 0 6px; }
.warnings { border: 2px solid #ef6c00; background: #fff4e5; padding: 10px 16px; margin: 16px 0; }
.warnings h2 { border: none; margin: 0 0 6px; }
.problems li, .warnings li { overflow-wrap: anywhere; }
svg.timeline { display: block; border: 1px solid #d5d9e0; font: 11px system-ui, "DejaVu Sans",
  sans-serif; }
svg .row-label, svg .legend-head { font-weight: 600; fill: #2b3240; }
svg .flag { font-weight: 600; }
svg .in-band { fill: #1b3f73; }
svg .axis-label, svg .axis-date { fill: #3c4452; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 12.5px; width: 100%; }
th, td { border: 1px solid #d5d9e0; padding: 3px 6px; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; }
th { background: #eef2f7; }
tr:nth-child(even) td { background: #fafbfd; }
.empty, .note { color: #5a6273; }
footer { margin-top: 32px; color: #7a8291; font-size: 12px; }
`;

/** Text in HTML: escaped, its newlines kept as line breaks. */
function html(text: string): string {
  return escapeXml(text).replace(/\r\n|\r|\n/g, "<br>");
}

function tableHtml(t: ReportTable): string {
  const head = `<h2>${html(t.title)}</h2>`;
  if (t.rows.length === 0)
    return `<section id="${t.id}">${head}<p class="empty">${html(t.empty)}</p></section>`;
  const row = (cells: string[], tag: "th" | "td") =>
    `<tr>${cells.map((c) => `<${tag}>${html(c)}</${tag}>`).join("")}</tr>`;
  return (
    `<section id="${t.id}">${head}<div class="scroll"><table>` +
    `<thead>${row(t.columns, "th")}</thead><tbody>${t.rows.map((r) => row(r, "td")).join("\n")}</tbody>` +
    `</table></div>` +
    (t.note === undefined ? "" : `<p class="note">${html(t.note)}</p>`) +
    `</section>`
  );
}

/** The few numbers to see first; the alarming ones marked. */
function facts(report: IncidentReport): string {
  const v = `v${report.version}`;
  const e = report.evidence;
  const items: Array<[string, boolean]> = [
    [`${v} ${report.versionRecord.status}`, report.versionRecord.status === "Faulty"],
    [plural(report.incidents.length, "incident"), report.incidents.length > 0],
    [
      e.verified === e.batches
        ? `evidence complete (${plural(e.batches, "batch", "batches")})`
        : `evidence INCOMPLETE: ${e.verified} of ${e.batches} batches verified`,
      e.verified !== e.batches,
    ],
    [`${plural(report.records.total, "record")} of ${v}`, false],
    [`${plural(report.records.afterClose, "stale record")}`, report.records.afterClose > 0],
    [
      `${plural(report.payments.length, "payment")} (${amountsText(report, report.payments)})`,
      false,
    ],
    [`${plural(report.refunds.length, "refund")} (${amountsText(report, report.refunds)})`, false],
  ];
  return `<ul class="facts">${items.map(([t, bad]) => `<li${bad ? ` class="bad"` : ""}>${html(t)}</li>`).join("")}</ul>`;
}

/** The evidence problems (red) and the warnings (amber), each only when there is one. */
function problems(report: IncidentReport): string {
  let out = "";
  if (report.problems.length > 0) {
    out +=
      `<section class="problems" id="problems"><h2>Evidence problems: the audit is incomplete (${report.problems.length})</h2><ul>` +
      report.problems
        .map((p) => `<li><strong>${html(problemHead(report, p))}</strong>: ${html(p.message)}</li>`)
        .join("") +
      `</ul></section>`;
  }
  if (report.warnings.length > 0) {
    out +=
      `<section class="warnings" id="warnings"><h2>Warnings (${report.warnings.length})</h2><ul>` +
      report.warnings.map((x) => `<li>${html(x)}</li>`).join("") +
      `</ul></section>`;
  }
  return out;
}

/** The whole timeline, then a close-up of the hours around the close when they are crowded. */
function timelineSection(report: IncidentReport): string {
  const range = closeUpRange(report);
  const closeUp =
    range === null
      ? ""
      : `<h3>Around the close: ${html(formatTime(range.from))} to ${html(formatTime(range.to))}</h3>` +
        timelineSvg(report, { range, classPrefix: "closeup-", legend: false });
  return `<section id="timeline"><h2>Timeline (UTC)</h2>${timelineSvg(report)}${closeUp}</section>`;
}

/**
 * The report as one self-contained HTML page (UTF-8): the summary, the evidence problems, the
 * timeline (inline SVG) and every table; all text escaped.
 */
export function renderHtml(report: IncidentReport): string {
  const { title, subtitle } = reportHeading(report);
  const summary = summarizeIncident(report, { labels: report.labels });
  return [
    `<!doctype html>`,
    `<html lang="en"><head><meta charset="utf-8">`,
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${html(title)}</title>`,
    `<style>${CSS}</style>`,
    `</head><body>`,
    `<header><h1>${html(title)}</h1><p class="sub">${html(subtitle)}</p></header>`,
    facts(report),
    `<p class="summary">${html(summary)}</p>`,
    problems(report),
    timelineSection(report),
    ...reportTables(report).map(tableHtml),
    `<footer>Read from chain ${report.chainId} at block ${report.readAt.block}; ` +
      `registry ${html(report.contracts.registry)}, anchor ${html(report.contracts.anchor)}, ` +
      `settlement ${html(report.contracts.settlement)}, action log ${html(report.contracts.actionLog)}.</footer>`,
    `</body></html>`,
    ``,
  ].join("\n");
}
