/**
 * The incident dossier (`npm run incident -- … --out DIR`): the report as files others can read,
 * publish and check, written atomically (a temporary folder beside DIR, renamed at the end; on a
 * failure or a signal nothing is left under DIR's name):
 *
 * - report.json: the report without its long lists (schemas/incident-report.schema.json);
 * - records.jsonl: every record claiming the version in the verified batches, one per line,
 *   streamed as the records are classified (never one string, never all in memory);
 * - payments.jsonl: every payment bound to the version, then those bound to another version for
 *   requests served under it (`"list": "bound" | "other-version"`);
 * - actions.jsonl: every agent action bound to the version;
 * - report.md and report.html (a self-contained page with the timeline).
 */
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

import { checkOutDir } from "../records/batch.js";
import { CliError, describeFsError, fail } from "../ground/cli.js";
import { uniqueActions } from "./actions.js";
import { summarizeIncident } from "./format.js";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import type { IncidentReport, ReportRecord } from "./types.js";

export const DOSSIER_FILES = [
  "report.json",
  "records.jsonl",
  "payments.jsonl",
  "actions.jsonl",
  "report.md",
  "report.html",
] as const;

/** Lines appended to a file with synchronous writes of 1 MB buffers (memory stays bounded). */
export class JsonlWriter {
  private readonly fd: number;
  private chunks: string[] = [];
  private size = 0;
  count = 0;

  constructor(path: string) {
    this.fd = openSync(path, "wx");
  }

  write(value: unknown): void {
    const line = JSON.stringify(value) + "\n";
    this.chunks.push(line);
    this.size += line.length;
    this.count++;
    if (this.size >= 1 << 20) this.flush();
  }

  flush(): void {
    if (this.chunks.length === 0) return;
    writeSync(this.fd, this.chunks.join(""));
    this.chunks = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** report.json: the report with its long lists replaced by their counts and files. */
export function dossierReport(report: IncidentReport): Record<string, unknown> {
  const { items: _items, ...records } = report.records;
  void _items;
  const a = report.actions;
  return {
    format: "rollback-trail/incident-dossier/v1",
    summary: summarizeIncident(report),
    ...report,
    payments: { count: report.payments.length, file: "payments.jsonl" },
    otherVersionPayments: { count: report.otherVersionPayments.length, file: "payments.jsonl" },
    refunds: { count: report.refunds.length },
    claims: { count: report.claims.length },
    actions: {
      whileLive: a.whileLive.length,
      servedByVersion: a.servedByVersion.length,
      counters: a.counters,
      file: "actions.jsonl",
    },
    records: { ...records, file: "records.jsonl" },
    afterClose:
      report.afterClose === null
        ? null
        : {
            since: report.afterClose.since,
            staleRecords: report.records.afterClose,
            batches: report.afterClose.batches.map((b) => ({ node: b.node, root: b.root })),
            refunds: report.afterClose.refunds.length,
            claims: report.afterClose.claims.length,
            actions: report.afterClose.actions.length,
          },
  };
}

/** The lines of payments.jsonl. */
export function paymentLines(report: IncidentReport): unknown[] {
  return [
    ...report.payments.map((p) => ({ list: "bound", ...p })),
    ...report.otherVersionPayments.map((p) => ({ list: "other-version", ...p })),
  ];
}

/** The lines of actions.jsonl. */
export function actionLines(report: IncidentReport): unknown[] {
  return uniqueActions([...report.actions.whileLive, ...report.actions.servedByVersion]);
}

/**
 * Builds the report with `build` (given the sink of records.jsonl) and writes the dossier `outDir`
 * atomically. Returns the report.
 */
export async function writeDossier(
  outDir: string,
  build: (recordSink: (r: ReportRecord) => void) => Promise<IncidentReport>,
  name = outDir,
): Promise<IncidentReport> {
  checkOutDir(outDir, name);
  const target = resolve(outDir);
  const parent = dirname(target);
  let tmp: string | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
    process.stderr.write(`incident: interrupted by ${signal}; ${name} was not written\n`);
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    try {
      mkdirSync(parent, { recursive: true });
      tmp = join(
        parent,
        `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`,
      );
      mkdirSync(tmp);
    } catch (e) {
      fail(`cannot create ${name}: ${describeFsError(e)}`);
    }
    const records = new JsonlWriter(join(tmp, "records.jsonl"));
    let report: IncidentReport;
    try {
      report = await build((r) => records.write(r));
    } finally {
      records.close();
    }
    try {
      const payments = new JsonlWriter(join(tmp, "payments.jsonl"));
      for (const line of paymentLines(report)) payments.write(line);
      payments.close();
      const actions = new JsonlWriter(join(tmp, "actions.jsonl"));
      for (const line of actionLines(report)) actions.write(line);
      actions.close();
      writeWhole(join(tmp, "report.json"), JSON.stringify(dossierReport(report), null, 2) + "\n");
      writeWhole(join(tmp, "report.md"), renderMarkdown(report));
      writeWhole(join(tmp, "report.html"), renderHtml(report));
    } catch (e) {
      if (e instanceof CliError) throw e;
      fail(`cannot write ${name}: ${describeFsError(e)}`);
    }
    checkOutDir(outDir, name);
    try {
      renameSync(tmp, target);
    } catch (e) {
      fail(`cannot create ${name}: ${describeFsError(e)}`);
    }
    tmp = undefined;
    return report;
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  }
}

function writeWhole(path: string, text: string): void {
  const fd = openSync(path, "wx");
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}
