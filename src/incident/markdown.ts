/** The report in Markdown, for a post-mortem or a forum post. */
import { summarizeIncident } from "./format.js";
import { type ReportTable, problemHead, reportHeading, reportTables } from "./tables.js";
import type { IncidentReport } from "./types.js";
import { plural } from "./words.js";

/**
 * Escapes a table cell: `|` would end the cell and a newline the row; `<` and entities would be
 * read as HTML by most renderers (text from the chain, such as a reason URI, is anyone's).
 */
export function markdownCell(text: string): string {
  return markdownText(text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|"), "<br>");
}

/** Escapes running text: HTML and entities shown as typed, newlines as `newline`. */
function markdownText(text: string, newline = " "): string {
  return text
    .replace(/&(?=#?\w+;)/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\r\n|\r|\n/g, newline);
}

function markdownTable(t: ReportTable): string[] {
  const out = [`## ${markdownText(t.title)}`, ""];
  if (t.rows.length === 0) return [...out, markdownText(t.empty), ""];
  const row = (cells: string[]) => `| ${cells.map(markdownCell).join(" | ")} |`;
  out.push(row(t.columns), `|${t.columns.map(() => " --- |").join("")}`);
  for (const r of t.rows) out.push(row(r));
  out.push("");
  if (t.note !== undefined) out.push(markdownText(t.note), "");
  return out;
}

/** The evidence problems and the warnings, loud: the audit they belong to is incomplete. */
function markdownProblems(report: IncidentReport): string[] {
  const out: string[] = [];
  if (report.problems.length > 0) {
    out.push(`## Evidence problems: the audit is incomplete`, "");
    out.push(`**${plural(report.problems.length, "problem")}** the report could not get past:`, "");
    for (const p of report.problems) {
      out.push(`- **${markdownText(problemHead(report, p))}**: ${markdownText(p.message)}`);
    }
    out.push("");
  }
  if (report.warnings.length > 0) {
    out.push(`## Warnings`, "");
    for (const x of report.warnings) out.push(`- ${markdownText(x)}`);
    out.push("");
  }
  return out;
}

/**
 * The report in Markdown: a title, the summary, the evidence problems (when there are any), then
 * one table per section. Every cell is escaped; addresses are shown by their labels.
 */
export function renderMarkdown(report: IncidentReport): string {
  const { title, subtitle } = reportHeading(report);
  const out = [`# ${markdownText(title)}`, "", markdownText(subtitle), ""];
  out.push(
    `## Summary`,
    "",
    markdownText(summarizeIncident(report, { labels: report.labels })),
    "",
  );
  out.push(...markdownProblems(report));
  for (const t of reportTables(report)) out.push(...markdownTable(t));
  return out.join("\n");
}
