/** The report in words: every section, or only the summary and the evidence problems. */
import { isOpenState } from "./names.js";
import { uniqueActions } from "./actions.js";
import type { IncidentReport, ReportPayment, ServedWhen } from "./types.js";
import {
  type FormatOptions,
  Words,
  amountsText,
  formatDuration,
  formatTime,
  plural,
  short,
} from "./words.js";

/** "after the rollback", "after the revoke", ...: how the version's last window ended. */
export function afterWords(report: IncidentReport): string {
  const last = report.windows[report.windows.length - 1];
  switch (last?.endReason) {
    case "Rollback":
      return "after the rollback";
    case "Revoke":
      return "after the revoke";
    case "Pause":
      return "after the pause";
    case "Promotion":
      return "after it was replaced";
    default:
      return "after its window closed";
  }
}

/** The one-paragraph summary of the report. */
export function summarizeIncident(report: IncidentReport, options: FormatOptions = {}): string {
  const w = new Words(report, options);
  const v = `v${report.version}`;
  const name = report.model.name ?? report.model.id;
  const live = report.windows.filter((w) => !w.neverLive);
  const parts: string[] = [];
  if (live.length === 0) {
    parts.push(
      `${v} of ${name} was never live` +
        (report.windows.length > 0
          ? ` (${plural(report.windows.length, "window")} opened and closed in one block)`
          : "") +
        (report.incidents.length > 0 ? `; ${plural(report.incidents.length, "incident")}.` : "."),
    );
  } else {
    const total = live.reduce((s, w) => s + (w.duration ?? report.readAt.time - w.startTime), 0);
    const closed =
      report.closedAt === null
        ? "it is live now"
        : `the last closed ${formatTime(report.closedAt.time)}`;
    parts.push(
      `${v} of ${name} was live in ${plural(live.length, "window")} (${formatDuration(total)}; ${closed})` +
        (report.incidents.length === 0
          ? " and has no incident."
          : `; ${plural(report.incidents.length, "incident")}: ${report.incidents
              .map(
                (i) =>
                  `#${i.id} ${i.kind}${i.kind === "rollback" ? ` to v${i.target}` : ""}, ${v} ${i.disposition}, at ${formatTime(i.at)}`,
              )
              .join("; ")}.`),
    );
  }
  const r = report.records;
  const standings = (when: ServedWhen) => {
    const counts = new Map<string, number>();
    for (const i of r.items) {
      if (i.served !== when) continue;
      const k = i.servedStanding ?? "unverified";
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    // Conforming first, then the node's worst behaviour by count.
    return [...counts.entries()]
      .sort((a, b) => (a[0] === "Conforming" ? -1 : b[0] === "Conforming" ? 1 : b[1] - a[1]))
      .map(([k, n]) => `${n} ${k}`)
      .join(", ");
  };
  parts.push(
    `${plural(r.whileLive, "record")} served by ${v} while live` +
      (r.whileLive > 0 ? ` (as served: ${standings("live")})` : "") +
      `; ${plural(r.afterClose, "stale record")} served under ${v} ${afterWords(report)}` +
      (r.afterClose > 0 ? ` (${standings("after-close")})` : "") +
      (r.outsideWindows > 0 ? `; ${r.outsideWindows} outside its windows` : "") +
      ".",
  );
  const e = report.evidence;
  const notProduced = e.notProduced.reduce((s, n) => s + n.records, 0);
  parts.push(
    e.verified === e.batches
      ? e.batches === 0
        ? `Evidence: no anchored batch bears on ${v}.`
        : `Evidence: every batch verified (${e.batches}).`
      : `Evidence INCOMPLETE: ${e.verified} of ${plural(e.batches, "batch", "batches")} verified, ` +
          `${e.missing} missing, ${e.corrupt} corrupt` +
          (e.unavailable > 0 ? `, ${e.unavailable} unavailable (a source could not be read)` : "") +
          `; ${plural(notProduced, "record")} anchored but not produced (` +
          e.notProduced.map((n) => `${w.who(n.node)}: ${n.records}`).join(", ") +
          `).`,
  );
  const open = report.payments.filter((p) => isOpenState(p.state));
  const refundable = open.filter((p) => p.openStatus === "refundable");
  parts.push(
    `${plural(report.payments.length, "payment")} bound to ${v} (${amountsText(report, report.payments)}): ` +
      `${report.refunds.length} refunded totalling ${amountsText(report, report.refunds)}, ` +
      `${report.claims.length} claimed (${amountsText(report, report.claims)}), ` +
      `${open.length} open` +
      (refundable.length > 0
        ? ` (${refundable.length} refundable, ${amountsText(report, refundable)})`
        : "") +
      ".",
  );
  const actions = uniqueActions([...report.actions.whileLive, ...report.actions.servedByVersion]);
  const lateProven = report.actions.servedByVersion.filter((a) => a.loggedAfterClose);
  const between = report.actions.servedByVersion.filter(
    (a) => !a.loggedWhileLive && !a.loggedAfterClose,
  );
  parts.push(
    `${plural(actions.length, "agent action")}: ${report.actions.whileLive.length} logged while ${v} was live, ` +
      `${report.actions.servedByVersion.length} proven about outputs ${v} served` +
      (lateProven.length > 0
        ? ` (${lateProven.length} logged ${afterWords(report)}, attributed to ${v}, which served them)`
        : "") +
      (between.length > 0
        ? ` (${between.length} logged outside its windows, before the close)`
        : "") +
      ".",
  );
  return parts.join(" ");
}

/** The report in words: sections with counts and totals, then the summary. */
export function formatIncidentReport(report: IncidentReport, options: FormatOptions = {}): string {
  const w = new Words(report, options);
  const out: string[] = [];
  const line = (text = "") => out.push(text);
  if (options.summaryOnly === true) {
    problemsSection(report, line);
    line(`SUMMARY`);
    line(`  ${summarizeIncident(report, options)}`);
    return out.join("\n");
  }
  const v = `v${report.version}`;
  const name =
    report.model.name === null ? report.model.id : `${report.model.name} (${report.model.id})`;
  line(`INCIDENT REPORT: model ${name}, version ${report.version}`);
  line(
    `  chain ${report.chainId}, read at block ${report.readAt.block} (${formatTime(report.readAt.time)}); ` +
      `events of blocks ${report.scan.fromBlock}-${report.scan.toBlock} ` +
      `(${report.scan.blockRange} per request, ${plural(report.scan.requests, "eth_getLogs request")})`,
  );
  line(
    `  registry ${report.contracts.registry}, anchor ${report.contracts.anchor}, ` +
      `settlement ${report.contracts.settlement}, action log ${report.contracts.actionLog}`,
  );

  const r = report.versionRecord;
  line();
  line(`VERSION ${report.version}`);
  line(
    `  status ${r.status}` +
      (r.faultyAt !== 0 ? `; its fault counts from ${formatTime(r.faultyAt)}` : "") +
      (r.dispositionAt !== 0 ? `; marked ${formatTime(r.dispositionAt)}` : ""),
  );
  line(`  weights: blob ${r.blobId}, hash ${r.weightsHash}`);
  line(
    `  proof paths ${r.proofPaths.join(", ")} (mask 0x${r.proofMask.toString(16).padStart(2, "0")})` +
      (BigInt(r.zkVerifier) !== 0n ? `, ZK verifier ${r.zkVerifier}` : "") +
      `; metadata ${r.metadataURI}`,
  );
  line(`  published by ${w.full(r.publisher)} at ${formatTime(r.registeredAt)}`);
  line(
    `  live now: ` +
      (report.live.version === 0
        ? report.live.paused
          ? "nothing (paused)"
          : "nothing"
        : `v${report.live.version} (epoch ${report.live.epoch})`),
  );

  line();
  line(`WINDOWS: ${report.windows.length}`);
  if (report.windows.length === 0) line(`  ${v} was never made live`);
  for (const x of report.windows) {
    if (x.neverLive) {
      line(
        `  epoch ${x.epoch}: opened and closed at ${formatTime(x.startTime)} in block ${x.startBlock} (${x.endReason}): NEVER LIVE`,
      );
    } else if (x.endTime === null) {
      line(`  epoch ${x.epoch}: from ${formatTime(x.startTime)} (block ${x.startBlock}): OPEN`);
    } else {
      line(
        `  epoch ${x.epoch}: ${formatTime(x.startTime)} (block ${x.startBlock}) to ` +
          `${formatTime(x.endTime)} (block ${x.endBlock}), ${formatDuration(x.duration ?? 0)}, ended by ${x.endReason}`,
      );
    }
  }

  line();
  line(`INCIDENTS: ${report.incidents.length}`);
  for (const i of report.incidents) {
    const by =
      i.bySafe === null
        ? w.full(i.by)
        : `${w.labelled(i.by) ? "the " : "the Safe "}${w.full(i.by)} (${i.bySafe.threshold} of ${i.bySafe.owners.length} owners)`;
    const what =
      i.kind === "rollback"
        ? `rollback to v${i.target}, ${v} marked ${i.disposition}`
        : `revoke, ${v} marked ${i.disposition}`;
    line(`  #${i.id} at ${formatTime(i.at)} (block ${i.atBlock}): ${what}, by ${by}`);
    line(
      `     covers ${plural(i.windowCount, "window")} (epoch${i.epochs.length === 1 ? "" : "s"} ${i.epochs.join(", ")}); reason ${i.reasonHash}` +
        (i.reasonURI === "" ? "" : ` (${i.reasonURI})`) +
        (i.txHash === null ? "" : `; tx ${i.txHash}`),
    );
  }

  line();
  const epochs = report.windows.map((x) => x.epoch).join(", ");
  line(
    `PAYMENTS bound to ${v}'s ${report.windows.length === 1 ? "epoch" : "epochs"} ${epochs || "(none)"}: ${report.payments.length}`,
  );
  for (const p of report.payments) {
    const state =
      p.state === "Claimed" && p.claim !== null
        ? `Claimed ${formatTime(p.claim.at)}${p.claim.afterClose ? ", after the close (released before the fault)" : ""}`
        : p.state === "Refunded" && p.refund !== null
          ? `Refunded ${formatTime(p.refund.at)} (${p.refund.reason}${p.refund.reason === "Challenge" ? `: ${p.refund.flagNames.join(" + ")}` : ""})`
          : isOpenState(p.state)
            ? `${p.state}, ${p.openStatus}` +
              (p.contestedAt !== null ? `, contested ${formatTime(p.contestedAt)}` : "") +
              (p.proofDeadline !== null ? `, proof deadline ${formatTime(p.proofDeadline)}` : "")
            : p.state;
    line(
      `  ${short(p.settlementId)}: ${w.who(p.payer)} paid ${w.who(p.payee)} ${w.amount(p.token, p.amount)} ` +
        `at ${formatTime(p.settledAt)}, release ${formatTime(p.releaseAt)}: ${state}`,
    );
    serviceLines(w, p, line);
  }
  for (const t of report.totals) {
    const f = (a: string) => w.amount(t.token, a);
    line(
      `  totals in ${t.symbol ?? "token"} ${t.token}: settled ${t.settledCount} = ${f(t.settledAmount)}, ` +
        `refunded ${t.refundedCount} = ${f(t.refundedAmount)} (volume()); ` +
        `claimed ${t.claimedCount} = ${f(t.claimedAmount)}, open ${t.openCount} = ${f(t.openAmount)}`,
    );
  }

  line();
  line(`REFUNDS: ${report.refunds.length}, ${amountsText(report, report.refunds)}`);
  for (const f of report.refunds) {
    line(
      `  ${short(f.settlementId)}: ${w.amount(f.token, f.amount)} to ${w.who(f.to)} at ${formatTime(f.at)}, ${f.reason}` +
        (f.reason === "Challenge" ? ` (${f.flagNames.join(" + ")})` : ""),
    );
  }

  line();
  line(
    `PAYMENTS bound to another version for requests served under ${v}: ${report.otherVersionPayments.length}`,
  );
  for (const p of report.otherVersionPayments) {
    line(
      `  ${short(p.settlementId)}: ${w.who(p.payer)} paid ${w.who(p.payee)} ${w.amount(p.token, p.amount)} ` +
        `bound to v${p.version} (epoch ${p.epoch}) at ${formatTime(p.settledAt)}: ${p.state}` +
        (p.openStatus !== null ? `, ${p.openStatus}` : ""),
    );
    serviceLines(w, p, line);
  }

  line();
  const a = report.actions;
  const actions = uniqueActions([...a.whileLive, ...a.servedByVersion]);
  line(
    `AGENT ACTIONS: ${actions.length}: ${a.whileLive.length} logged while ${v} was live, ` +
      `${a.servedByVersion.length} proven served by ${v} ` +
      `(the log's counters: ${a.counters.inLiveEpochs} in ${v}'s epochs, ${a.counters.servedByVersion} served by ${v})`,
  );
  for (const x of actions) line(`  ${w.action(x)}`);

  line();
  const disputes = report.batches.reduce((s, b) => s + b.disputes.length, 0);
  const ev = report.evidence;
  line(
    `BATCHES anchored by nodes, bearing on ${v}: ${report.batches.length} (${plural(disputes, "dispute")}; ` +
      `evidence: ${ev.verified} verified, ${ev.missing} missing, ${ev.corrupt} corrupt)`,
  );
  for (const b of report.batches) {
    line(`  ${w.batch(b)}`);
    for (const d of b.disputes) {
      line(
        `     disputed (#${d.index}) by ${w.who(d.by)} at ${formatTime(d.at)}: reason ${short(d.reasonHash)}` +
          (d.reasonURI === "" ? "" : ` (${d.reasonURI})`),
      );
    }
  }

  const rec = report.records;
  line();
  line(
    `RECORDS claiming ${v} in the verified batches: ${rec.total} ` +
      `(${rec.whileLive} served while live, ${rec.afterClose} after the close, ${rec.outsideWindows} outside the windows; ` +
      `standings by the contract's rules, ${rec.checkedOnChain} cross-checked on-chain)`,
  );
  if (rec.truncated) {
    line(
      `  the first ${rec.items.length} are listed here; every record is in records.jsonl (--out)`,
    );
  }
  line(
    `  standing now: ${
      Object.entries(rec.byStanding)
        .map(([k, n]) => `${k} ${n}`)
        .join(", ") || "none"
    }`,
  );
  for (const d of rec.dirs) {
    line(
      `  directory ${d.dir} (root ${short(d.root)}, ${plural(d.records, "record")}): ${d.status}` +
        (d.detail !== null ? `, ${d.detail}` : "") +
        (d.badProofs > 0
          ? `; ${plural(d.badProofs, "proof")} in it did not match its records (rebuilt)`
          : ""),
    );
  }
  const live = rec.items.filter((i) => i.served === "live");
  if (live.length > 0) line(`  served while ${v} was live:`);
  for (const i of live) line(`    ${w.record(i)}`);
  const outside = rec.items.filter((i) => i.served === "outside-windows");
  if (outside.length > 0) line(`  served outside ${v}'s windows (before or between them):`);
  for (const i of outside) line(`    ${w.record(i)}`);
  const after = rec.items.filter((i) => i.served === "after-close");
  if (after.length > 0) line(`  served after the close: see below`);

  line();
  if (report.afterClose === null) {
    line(
      report.windows.length === 0
        ? `AFTER ITS WINDOWS: none, ${v} was never live`
        : `AFTER ITS WINDOWS: none yet, ${v} is live`,
    );
  } else {
    const ac = report.afterClose;
    line(
      `${afterWords(report).toUpperCase()} (the window closed ${formatTime(ac.since.time)}, block ${ac.since.block}):`,
    );
    const unseen = ac.batches.filter((b) => b.evidence.status !== "verified").length;
    line(
      `  stale records (claiming ${v}, served after the close): ${ac.staleRecords.length}` +
        (unseen > 0
          ? ` (AT LEAST: ${plural(unseen, "batch", "batches")} anchored after the close could not be read)`
          : ""),
    );
    for (const i of ac.staleRecords) line(`    ${w.record(i)}`);
    line(`  batches anchored: ${ac.batches.length}`);
    for (const b of ac.batches) {
      line(
        `    ${short(b.root)} by ${w.who(b.node)} at ${formatTime(b.anchoredAt)}` +
          (b.coversWindow ? `: served inside ${v}'s window, anchored late (Unconfirmable)` : "") +
          (b.recordsOfVersion !== null ? `; ${b.recordsOfVersion} records claim ${v}` : "") +
          (b.evidence.status !== "verified" ? `; ${w.evidence(b)}` : "") +
          (b.disputes.length > 0 ? `; disputed ${b.disputes.length}x` : ""),
      );
    }
    line(`  refunds: ${ac.refunds.length}, ${amountsText(report, ac.refunds)}`);
    line(
      `  claims: ${ac.claims.length}, ${amountsText(report, ac.claims)}` +
        (ac.claims.length > 0 ? " (released before the fault: the payee's due)" : ""),
    );
    line(`  actions logged: ${ac.actions.length}`);
    for (const x of ac.actions) line(`    ${w.action(x)}`);
  }

  line();
  routingSection(w, report, line);
  problemsSection(report, line);
  line(`SUMMARY`);
  line(`  ${summarizeIncident(report, options)}`);
  return out.join("\n");
}

/** ROUTING: each operator's acknowledgements, its switch after the close and its lag. */
function routingSection(w: Words, report: IncidentReport, line: (text?: string) => void): void {
  const r = report.routing;
  if (r === null) {
    line("ROUTING: no NodeRouting given (--routing, or the deployment's)");
    line();
    return;
  }
  line(`ROUTING (NodeRouting ${r.contract}): ${plural(r.nodes.length, "operator")}`);
  for (const n of r.nodes) {
    const acks = n.acknowledgements
      .map((a) => `epoch ${a.epoch} at ${formatTime(a.at)}`)
      .join(", ");
    const sw =
      report.closedAt === null
        ? ""
        : n.switchedAt === null
          ? "; NEVER acknowledged an epoch after the close"
          : `; switched to epoch ${n.switchedTo} ${formatDuration(n.lagSeconds ?? 0)} after the close`;
    line(
      `  ${w.who(n.node)}${n.operator ? "" : " (no longer an operator)"}: ` +
        `${acks === "" ? "no acknowledgement" : acks}${sw}${n.routable ? "; routable now" : "; not routable now"}`,
    );
    if (n.staleAfterClose > 0 || n.paymentsAfterClose > 0) {
      line(
        `     ${plural(n.staleAfterClose, "stale record")} after the close` +
          (n.staleAfterOwnSwitch > 0
            ? `, ${n.staleAfterOwnSwitch} after its own switch (it contradicted its acknowledgement)`
            : "") +
          `; ${plural(n.paymentsAfterClose, "payment")} received after the close`,
      );
    }
  }
  line();
}

/** EVIDENCE PROBLEMS and WARNINGS (each only when there is one), each followed by a blank line. */
function problemsSection(report: IncidentReport, line: (text?: string) => void): void {
  if (report.problems.length > 0) {
    line(`EVIDENCE PROBLEMS: ${report.problems.length} (the audit is incomplete)`);
    for (const p of report.problems) line(`  [${p.kind}] ${p.message}`);
    line();
  }
  if (report.warnings.length > 0) {
    line(`WARNINGS: ${report.warnings.length}`);
    for (const x of report.warnings) line(`  ${x}`);
    line();
  }
}

/** The payee's records of a payment's request, and what each side can still do. */
function serviceLines(w: Words, p: ReportPayment, line: (text?: string) => void): void {
  const s = p.service;
  if (s === null) return;
  const records =
    s.found === "found"
      ? s.records
          .map(
            (r) =>
              `record ${r.index} of ${short(r.root)} (v${r.version}, served ${formatTime(r.servedAt)}` +
              (r.standing !== null ? `, ${r.standing}` : "") +
              ")",
          )
          .join("; ")
      : s.found === "none"
        ? "no anchored record of the request"
        : `no record in the batches obtained (some of ${w.who(p.payee)}'s batches are missing or corrupt)`;
  line(`     service: ${records}`);
  if (s.payerCan.length > 0) line(`     the payer can: ${s.payerCan.join("; ")}`);
  if (s.payeeCan.length > 0) line(`     the payee can: ${s.payeeCan.join("; ")}`);
}

// ------------------------------------------------------------------ command line

/** The report as JSON (plain data already: no bigint). */
export function incidentReportJson(report: IncidentReport): string {
  return JSON.stringify(report, null, 2);
}
