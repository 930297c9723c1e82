/**
 * The incident report (src/incident/, `npm run incident`) on the story of `npm run demo`
 * (scripts/demo/scenario.ts), replayed in-process on its own network: every section of the report
 * checked exactly, a version with no incident, a version never made live, a window that opened and
 * closed in one block, and the command line's one-line errors.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

import { expect } from "chai";
import { ZeroAddress, getAddress, id, type Provider } from "ethers";
import { network } from "hardhat";

import { CliError } from "../../src/ground/cli.js";
import { deploySuite } from "../../src/deploy/deploy-local.js";
import { findEntries } from "../../src/node/anchoring.js";
import { type SettledEventArgs, detailsFromSettled } from "../../src/chain/enums.js";
import {
  formatIncidentReport,
  incidentReport,
  incidentReportJson,
  summarizeIncident,
  type IncidentReport,
} from "../../src/incident/index.js";
import { incidentContracts, parseCheckArgs, parseIncidentArgs } from "../../src/incident/args.js";
import {
  buildSafeTransaction,
  safeAt,
  safeExec,
  signSafeTransaction,
  encodeSignatures,
} from "../../src/governance/safe.js";
import {
  DEMO_MODEL,
  DEMO_PROOF_MASK,
  DISPUTE_REASON,
  ROLLBACK_REASON,
  ROLLBACK_REASON_URI,
  blobOfVersion,
  requestOf,
  runScenario,
  unit,
  type DemoScenario,
} from "../../scripts/demo/scenario.js";

// A network of its own: the story moves the clock to 2031.
const connection = await network.create();
const { ethers, networkHelpers } = connection;
const provider = ethers.provider as unknown as Provider;

const ROOT = process.cwd();
const HOUR = 3600;
const DAY = 86400;

let work: string;

async function demoScenario(): Promise<DemoScenario> {
  return runScenario(connection, { workDir: work });
}

async function reportOf(
  s: DemoScenario,
  version: number,
  extra: { batchDirs?: string[]; fromBlock?: number; blockRange?: number } = {},
): Promise<IncidentReport> {
  return incidentReport({
    provider,
    registry: s.registry,
    anchor: s.anchor,
    settlement: s.settlement,
    actionLog: s.actionLog,
    modelId: s.modelId,
    modelName: DEMO_MODEL,
    version,
    ...extra,
    batchNames: extra.batchDirs?.map((d) => basename(d)),
  });
}

/** The one-line CliError message of a failing call. */
function cliError(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    expect(e).to.be.instanceOf(CliError);
    const message = (e as Error).message;
    expect(message).to.not.include("\n");
    return message;
  }
  expect.fail("expected a CliError");
}

describe("incident report (npm run incident) on the demo's story", function () {
  before(function () {
    work = mkdtempSync(join(tmpdir(), "incident-"));
  });
  after(async function () {
    rmSync(work, { recursive: true, force: true });
    await connection.close();
  });

  it("proves what happened while v2 was live: windows, incident, payments, refunds, actions, batches, records", async function () {
    const s = await networkHelpers.loadFixture(demoScenario);
    const { v2Live: T2, rollback: TR, end } = s.times;
    const report = await reportOf(s, 2, { batchDirs: s.batchDirs });
    const token = getAddress(await s.token.getAddress());
    const A = s.nodeA.address;
    const guardianOwners = s.guardian.owners.map((o) => o.address);

    expect(report.model).to.deep.equal({ id: id(DEMO_MODEL), name: DEMO_MODEL });
    expect(report.version).to.equal(2);
    expect(report.chainId).to.equal(31337);
    expect(report.readAt.time).to.equal(end);
    expect(report.warnings).to.deep.equal([]);

    // the version's record
    const registeredAt = report.versionRecord.registeredAt;
    expect(report.versionRecord).to.deep.equal({
      blobId: blobOfVersion(2),
      weightsHash: id(`${DEMO_MODEL}/weights-hash/v2`),
      metadataURI: `ipfs://${DEMO_MODEL}/v2/model-card.json`,
      proofMask: DEMO_PROOF_MASK,
      proofPaths: ["none", "TEE"],
      zkVerifier: ZeroAddress,
      publisher: s.publisher.address,
      registeredAt,
      status: "Faulty",
      faultyAt: TR,
      dispositionAt: TR,
    });
    expect(registeredAt).to.equal(s.times.start + 4 * 60);
    expect(report.live).to.deep.equal({ version: 1, epoch: 3, paused: false });

    // its window and the incident that closed it
    const [window] = report.windows;
    expect(report.windows).to.deep.equal([
      {
        epoch: 2,
        startTime: T2,
        startBlock: window.startBlock,
        endTime: TR,
        endBlock: window.endBlock,
        endReason: "Rollback",
        neverLive: false,
        duration: 3 * DAY + 6 * HOUR,
      },
    ]);
    expect((await provider.getBlock(window.startBlock))?.timestamp).to.equal(T2);
    expect((await provider.getBlock(window.endBlock as number))?.timestamp).to.equal(TR);
    expect(report.closedAt).to.deep.equal({ time: TR, block: window.endBlock });
    expect(report.scan.fromBlock).to.equal(window.startBlock);
    expect(report.incidents).to.have.length(1);
    const incident = report.incidents[0];
    expect(incident).to.deep.equal({
      id: 1,
      kind: "rollback",
      at: TR,
      atBlock: window.endBlock,
      by: s.guardian.address,
      bySafe: { threshold: 2, owners: guardianOwners },
      disposition: "Faulty",
      target: 1,
      windowCount: 1,
      epochs: [2],
      reasonHash: id(ROLLBACK_REASON),
      reasonURI: ROLLBACK_REASON_URI,
      txHash: incident.txHash,
    });
    const rollbackTx = await provider.getTransactionReceipt(incident.txHash as string);
    expect(rollbackTx?.blockNumber).to.equal(window.endBlock);

    // payments bound to epoch 2, their state now
    const byLabel = Object.fromEntries(
      Object.values(s.payments).map((p) => [p.settlementId, p.label]),
    );
    expect(
      report.payments.map((p) => ({
        label: byLabel[p.settlementId],
        payer: p.payer,
        payee: p.payee,
        requestId: p.requestId,
        token: p.token,
        amount: p.amount,
        epoch: p.epoch,
        settledAt: p.settledAt,
        releaseAt: p.releaseAt,
        state: p.state,
        openStatus: p.openStatus,
        claimedAt: p.claim?.at ?? null,
        refundedAt: p.refund?.at ?? null,
      })),
    ).to.deep.equal(
      [
        ["r1", s.alice, 5, T2 + HOUR, "Claimed", null, T2 + 3 * DAY + HOUR + 1800, null],
        ["r2", s.bob, 3, T2 + 2 * HOUR, "Claimed", null, TR + 2 * HOUR, null],
        ["r3", s.carol, 8, T2 + DAY, "Refunded", null, null, TR + 3 * HOUR],
        ["r4", s.alice, 6, T2 + 3 * DAY + 3 * HOUR, "Refunded", null, null, TR + 4 * HOUR],
        ["r5", s.bob, 4, T2 + 3 * DAY + 4 * HOUR, "Open", "refundable", null, null],
      ].map(([label, payer, amount, settledAt, state, openStatus, claimedAt, refundedAt]) => ({
        label,
        payer: (payer as { address: string }).address,
        payee: A,
        requestId: requestOf(label as string),
        token,
        amount: unit(amount as number).toString(),
        epoch: 2,
        settledAt,
        releaseAt: (settledAt as number) + 3 * DAY,
        state,
        openStatus,
        claimedAt,
        refundedAt,
      })),
    );
    expect(report.totals).to.deep.equal([
      {
        token,
        symbol: "TEST",
        decimals: 18,
        settledCount: 5,
        settledAmount: unit(26).toString(),
        refundedCount: 2,
        refundedAmount: unit(14).toString(),
        claimedCount: 2,
        claimedAmount: unit(8).toString(),
        openCount: 1,
        openAmount: unit(4).toString(),
      },
    ]);
    expect(
      report.refunds.map((r) => [
        byLabel[r.settlementId],
        r.payer,
        r.to,
        r.amount,
        r.reason,
        r.flags,
        r.flagNames,
        r.afterClose,
      ]),
    ).to.deep.equal([
      ["r3", s.carol.address, s.carol.address, unit(8).toString(), "VersionFaulty", 0, [], true],
      ["r4", s.alice.address, s.alice.address, unit(6).toString(), "VersionFaulty", 0, [], true],
    ]);
    expect(
      report.claims.map((c) => [byLabel[c.settlementId], c.payee, c.to, c.amount, c.afterClose]),
    ).to.deep.equal([
      ["r1", A, A, unit(5).toString(), false],
      ["r2", A, A, unit(3).toString(), true],
    ]);

    // actions: logged while live, and proven served by v2 (alice's after the rollback too)
    const actionSummary = (a: IncidentReport["actions"]["whileLive"][number]) => ({
      id: a.id,
      agent: a.agent,
      loggedAt: a.loggedAt,
      live: [a.liveVersion, a.liveEpoch],
      proven: a.proven,
      served: [a.servedVersion, a.servedEpoch],
      flagNames: a.flagNames,
      requestId: a.requestId,
      uri: a.uri,
      tags: [a.loggedWhileLive, a.servedByVersion, a.loggedAfterClose],
    });
    const a0 = {
      id: 0,
      agent: s.alice.address,
      loggedAt: T2 + 5 * HOUR,
      live: [2, 2],
      proven: true,
      served: [2, 2],
      flagNames: [],
      requestId: requestOf("r1"),
      uri: "ipfs://actions/r1",
      tags: [true, true, false],
    };
    const a1 = {
      id: 1,
      agent: s.bob.address,
      loggedAt: T2 + 6 * HOUR,
      live: [2, 2],
      proven: false,
      served: [0, 0],
      flagNames: [],
      requestId: requestOf("r2"),
      uri: "ipfs://actions/r2",
      tags: [true, false, false],
    };
    const a2 = {
      id: 2,
      agent: s.carol.address,
      loggedAt: T2 + DAY + 3 * HOUR,
      live: [2, 2],
      proven: true,
      served: [2, 2],
      flagNames: [],
      requestId: requestOf("r3"),
      uri: "ipfs://actions/r3",
      tags: [true, true, false],
    };
    // Logged while v1 was live again, about r4 served by v2: attributed to v2.
    const a3 = {
      id: 3,
      agent: s.alice.address,
      loggedAt: TR + 45 * 60,
      live: [1, 3],
      proven: true,
      served: [2, 2],
      flagNames: ["Unconfirmable", "VersionFaulty"],
      requestId: requestOf("r4"),
      uri: "ipfs://actions/r4",
      tags: [false, true, true],
    };
    expect(report.actions.whileLive.map(actionSummary)).to.deep.equal([a0, a1, a2]);
    expect(report.actions.servedByVersion.map(actionSummary)).to.deep.equal([a0, a2, a3]);
    expect(report.actions.counters).to.deep.equal({ inLiveEpochs: 3, servedByVersion: 3 });
    // carol's unproven action after the rollback (#4) is v1's, not v2's
    expect((await s.actionLog.getAction(4)).liveVersion).to.equal(1n);

    // batches: A1, A2 anchored while live; A3 late; B1 the stale node's, disputed
    const { A1, A2, A3, B1 } = s.batches;
    expect(
      report.batches.map((b) => ({
        root: b.root,
        node: b.node,
        count: b.count,
        anchoredAt: b.anchoredAt,
        tags: [b.anchoredWhileLive, b.coversWindow, b.anchoredAfterClose],
        recordsOfVersion: b.recordsOfVersion,
        evidence: [b.evidence.status, b.evidence.from],
        disputes: b.disputes.map((d) => [d.index, d.by, d.at, d.reasonHash, d.reasonURI]),
      })),
    ).to.deep.equal(
      [
        [A1, 3, T2 + 4 * HOUR, [true, true, false], []],
        [A2, 2, T2 + DAY + 2 * HOUR, [true, true, false], []],
        [A3, 2, TR + 30 * 60, [false, true, true], []],
        [
          B1,
          3,
          TR + 90 * 60,
          [false, false, true],
          [[0, s.guardian.address, TR + 2 * HOUR + 1800, id(DISPUTE_REASON), ""]],
        ],
      ]
        .map(([batch, count, anchoredAt, tags, disputes]) => ({
          root: (batch as typeof A1).root,
          node: (batch as typeof A1).node,
          count,
          anchoredAt,
          tags,
          recordsOfVersion: count as number | null,
          evidence: ["verified", (batch as typeof A1).name as string | null],
          disputes,
        }))
        .concat([
          // node B's last batch: anchored, its file withheld from every store and not given
          {
            root: s.batches.B2.root,
            node: s.nodeB.address,
            count: 1,
            anchoredAt: TR + 3 * HOUR + 50 * 60,
            tags: [false, false, true],
            recordsOfVersion: null,
            evidence: ["missing", null],
            disputes: [],
          },
        ]),
    );
    expect(report.evidence).to.deep.equal({
      batches: 5,
      verified: 4,
      missing: 1,
      unavailable: 0,
      corrupt: 0,
      notProduced: [{ node: s.nodeB.address, missingBatches: 1, corruptBatches: 0, records: 1 }],
    });
    expect(report.problems.map((p) => [p.kind, p.node, p.root])).to.deep.equal([
      ["missing-batch", s.nodeB.address, s.batches.B2.root],
    ]);
    expect(report.complete).to.equal(false);

    // every record claiming v2, verified on-chain
    const records = report.records;
    expect(records.dirs).to.deep.equal(
      [A1, A2, A3, B1].map((b) => ({
        dir: b.name,
        root: b.root,
        recordsRoot: b.root,
        modelId: s.modelId,
        count: b.records.length,
        records: b.records.length,
        status: "used",
        detail: null,
        badProofs: 0,
      })),
    );
    expect(records.whileLive).to.equal(7);
    expect(records.afterClose).to.equal(3);
    expect(records.outsideWindows).to.equal(0);
    expect(records.byStanding).to.deep.equal({ VersionFaulty: 5, Unconfirmable: 2, NotLive: 3 });
    const conformed = {
      served: "live",
      standing: "VersionFaulty",
      servedStanding: "Conforming",
      flagNames: ["VersionFaulty"],
      liveVersionThen: 2,
    };
    const late = {
      served: "live",
      standing: "Unconfirmable",
      servedStanding: "Unconfirmable",
      flagNames: ["Unconfirmable", "VersionFaulty"],
      liveVersionThen: 2,
    };
    const stale = {
      served: "after-close",
      standing: "NotLive",
      servedStanding: "NotLive",
      flagNames: ["NotLive", "VersionFaulty", "BatchDisputed"],
      liveVersionThen: 1,
    };
    expect(
      records.items.map((r) => ({
        request: r.requestId,
        node: r.node,
        included: r.included,
        served: r.served,
        standing: r.standing,
        servedStanding: r.servedStanding,
        flagNames: r.flagNames,
        liveVersionThen: r.liveVersionThen,
        error: r.error,
      })),
    ).to.deep.equal(
      [
        ["r1", A, conformed],
        ["r2", A, conformed],
        ["x1", A, conformed],
        ["r3", A, conformed],
        ["x2", A, conformed],
        ["r4", A, late],
        ["r5", A, late],
        ["s1", s.nodeB.address, stale],
        ["s2", s.nodeB.address, stale],
        ["s3", s.nodeB.address, stale],
      ].map(([label, node, expected]) => ({
        request: requestOf(label as string),
        node,
        included: true,
        ...(expected as typeof conformed),
        error: null,
      })),
    );

    // after the rollback
    const ac = report.afterClose;
    expect(ac).to.not.equal(null);
    if (ac === null) return;
    expect(ac.since).to.deep.equal({ time: TR, block: window.endBlock });
    expect(ac.staleRecords.map((r) => r.requestId)).to.deep.equal(
      ["s1", "s2", "s3"].map(requestOf),
    );
    expect(ac.batches.map((b) => b.root)).to.deep.equal([A3.root, B1.root, s.batches.B2.root]);
    expect(ac.refunds.map((r) => byLabel[r.settlementId])).to.deep.equal(["r3", "r4"]);
    expect(ac.claims.map((c) => byLabel[c.settlementId])).to.deep.equal(["r2"]);
    expect(ac.actions.map((a) => a.id)).to.deep.equal([3]);

    // plain data: JSON keeps it whole
    expect(JSON.parse(JSON.stringify(report))).to.deep.equal(report);

    // in words
    expect(summarizeIncident(report)).to.equal(
      "v2 of opengradient/llm was live in 1 window (3d 6h; the last closed 2031-01-11 16:07:00Z); " +
        "1 incident: #1 rollback to v1, v2 Faulty, at 2031-01-11 16:07:00Z. " +
        "7 records served by v2 while live (as served: 5 Conforming, 2 Unconfirmable); " +
        "3 stale records served under v2 after the rollback (3 NotLive). " +
        "Evidence INCOMPLETE: 4 of 5 batches verified, 1 missing, 0 corrupt; 1 record anchored " +
        "but not produced (0xa0Ee7A14…9720: 1). " +
        "5 payments bound to v2 (26.0 TEST): 2 refunded totalling 14.0 TEST, 2 claimed (8.0 TEST), " +
        "1 open (1 refundable, 4.0 TEST). 4 agent actions: 3 logged while v2 was live, 3 proven about " +
        "outputs v2 served (1 logged after the rollback, attributed to v2, which served them).",
    );
    const text = formatIncidentReport(report, { labels: s.labels });
    for (const expected of [
      "INCIDENT REPORT: model opengradient/llm",
      "WINDOWS: 1",
      "ended by Rollback",
      `by the guardian Safe ${s.guardian.address} (2 of 3 owners)`,
      "PAYMENTS bound to v2's epoch 2: 5",
      "bob paid node A 4.0 TEST",
      "Open, refundable",
      "REFUNDS: 2, 14.0 TEST",
      "AGENT ACTIONS: 4: 3 logged while v2 was live, 3 proven served by v2",
      "counts for v2, which served it, not the live v1",
      "BATCHES anchored by nodes, bearing on v2: 5 (1 dispute; evidence: 4 verified, 1 missing, 0 corrupt)",
      "EVIDENCE PROBLEMS: 1 (the audit is incomplete)",
      "MISSING: its records could not be obtained",
      "standing now: VersionFaulty 5, Unconfirmable 2, NotLive 3",
      "stale records (claiming v2, served after the close): 3",
      "NotLive (flags NotLive + VersionFaulty + BatchDisputed); v1 was live then",
      "AFTER THE ROLLBACK",
      "SUMMARY",
    ]) {
      expect(text).to.include(expected);
    }
    expect(text).to.not.include("WARNINGS");
  });

  it("without the batch files: every anchored batch listed as missing, its records counted as not produced, the audit incomplete", async function () {
    const s = await networkHelpers.loadFixture(demoScenario);
    const report = await reportOf(s, 2);
    const { A1, A2, A3, B1 } = s.batches;
    // The chain knows every batch, the stale node's post-rollback one and its dispute included.
    expect(report.batches.map((b) => [b.root, b.evidence.status, b.disputes.length])).to.deep.equal(
      [
        [A1.root, "missing", 0],
        [A2.root, "missing", 0],
        [A3.root, "missing", 0],
        [B1.root, "missing", 1],
        [s.batches.B2.root, "missing", 0],
      ],
    );
    expect(report.batches.every((b) => b.recordsOfVersion === null)).to.equal(true);
    expect(report.evidence).to.deep.equal({
      batches: 5,
      verified: 0,
      missing: 5,
      unavailable: 0,
      corrupt: 0,
      notProduced: [
        { node: s.nodeA.address, missingBatches: 3, corruptBatches: 0, records: 7 },
        { node: s.nodeB.address, missingBatches: 2, corruptBatches: 0, records: 4 },
      ],
    });
    expect(report.problems.map((p) => [p.kind, p.node, p.root])).to.deep.equal(
      [A1, A2, A3, B1, s.batches.B2].map((b) => ["missing-batch", b.node, b.root]),
    );
    expect(report.complete).to.equal(false);
    expect(report.records.items).to.deep.equal([]);
    expect(report.payments).to.have.length(5);
    const text = formatIncidentReport(report, { labels: s.labels });
    expect(text).to.include("EVIDENCE PROBLEMS: 5 (the audit is incomplete)");
    expect(text).to.include(
      "stale records (claiming v2, served after the close): 0 (AT LEAST: 3 batches anchored after the close could not be read)",
    );
    expect(summarizeIncident(report, { labels: s.labels })).to.include(
      "Evidence INCOMPLETE: 0 of 5 batches verified, 5 missing, 0 corrupt; 11 records anchored but not produced (node A: 7, node B: 4).",
    );
  });

  it("reads the same with one-block log ranges and from block 0", async function () {
    const s = await networkHelpers.loadFixture(demoScenario);
    const wide = await reportOf(s, 2, { batchDirs: s.batchDirs });
    const narrow = await reportOf(s, 2, { batchDirs: s.batchDirs, fromBlock: 0, blockRange: 1 });
    expect(narrow.scan.fromBlock).to.equal(0);
    expect(narrow.scan.requests).to.be.greaterThan(wide.scan.requests);
    expect({ ...narrow, scan: null }).to.deep.equal({ ...wide, scan: null });
  });

  it("warns when the scan starts too late to see what the counters count", async function () {
    const s = await networkHelpers.loadFixture(demoScenario);
    const late = (await reportOf(s, 2)).closedAt?.block as number;
    const report = await reportOf(s, 2, { fromBlock: late });
    expect(report.payments).to.deep.equal([]);
    expect(report.warnings).to.deep.equal([
      "the action log counts 3 actions logged in the version's epochs; 0 were found in blocks " +
        `${late}-${report.scan.toBlock}`,
      "the action log counts 3 proven actions served by version 2; 1 were found in blocks " +
        `${late}-${report.scan.toBlock}`,
    ]);
    expect(report.complete).to.equal(false);
    expect(formatIncidentReport(report)).to.include("WARNINGS: 2");
  });

  it("a version with no incident (v1): its windows and what was bound to them, nothing else", async function () {
    const s = await networkHelpers.loadFixture(demoScenario);
    const report = await reportOf(s, 1, { batchDirs: s.batchDirs });
    expect(report.versionRecord.status).to.equal("Active");
    expect(report.versionRecord.faultyAt).to.equal(0);
    expect(report.windows.map((w) => [w.epoch, w.startTime, w.endTime, w.endReason])).to.deep.equal(
      [
        [1, s.times.v1Live, s.times.v2Live, "Promotion"],
        [3, s.times.rollback, null, "Open"],
      ],
    );
    expect(report.closedAt).to.equal(null);
    expect(report.afterClose).to.equal(null);
    expect(report.incidents).to.deep.equal([]);
    expect(report.payments).to.deep.equal([]);
    expect(report.totals).to.deep.equal([]);
    expect(report.refunds).to.deep.equal([]);
    expect(report.claims).to.deep.equal([]);
    // both actions logged after the rollback were logged while v1 was live; alice's is proven
    // about an output of v2 (so it is v2's too), carol's is unproven
    expect(
      report.actions.whileLive.map((a) => [a.id, a.agent, a.liveEpoch, a.servedVersion]),
    ).to.deep.equal([
      [3, s.alice.address, 3, 2],
      [4, s.carol.address, 3, 0],
    ]);
    expect(report.actions.servedByVersion).to.deep.equal([]);
    expect(report.actions.counters).to.deep.equal({ inLiveEpochs: 2, servedByVersion: 0 });
    // A1 and A2 were anchored after v1's first window closed (they could hold stale v1
    // records); A3, B1 and B2 while v1 was live again; none of their records claims v1
    expect(
      report.batches.map((b) => [b.root, b.anchoredWhileLive, b.recordsOfVersion]),
    ).to.deep.equal([
      [s.batches.A1.root, false, 0],
      [s.batches.A2.root, false, 0],
      [s.batches.A3.root, true, 0],
      [s.batches.B1.root, true, 0],
      [s.batches.B2.root, true, null], // withheld: missing
    ]);
    expect(report.records.items).to.deep.equal([]);
    expect(report.records.dirs.map((d) => d.status)).to.deep.equal([
      "used",
      "used",
      "used",
      "used",
    ]);
    expect(report.warnings).to.deep.equal([]);
    expect(summarizeIncident(report)).to.match(
      /^v1 of opengradient\/llm was live in 2 windows \(.*; it is live now\) and has no incident\./,
    );
    expect(formatIncidentReport(report)).to.include("INCIDENTS: 0");
  });

  it("a pause: open payments of the paused version are held, the window ends by Pause", async function () {
    const s = await networkHelpers.loadFixture(demoScenario);
    const token = await s.token.getAddress();
    await (
      await s.settlement
        .connect(s.alice)
        .settle(s.modelId, 1, 3, s.nodeA.address, token, unit(2), requestOf("p1"), 0)
    ).wait();
    await networkHelpers.time.increase(600);
    await safeExec(s.guardian.address, s.guardian.owners, {
      to: await s.registry.getAddress(),
      data: s.registry.interface.encodeFunctionData("pause", [s.modelId]),
    });
    const report = await reportOf(s, 1);
    expect(report.live).to.deep.equal({ version: 0, epoch: 0, paused: true });
    expect(report.windows.map((w) => [w.epoch, w.endReason])).to.deep.equal([
      [1, "Promotion"],
      [3, "Pause"],
    ]);
    expect(report.incidents).to.deep.equal([]);
    expect(
      report.payments.map((p) => [p.payer, p.amount, p.epoch, p.state, p.openStatus]),
    ).to.deep.equal([[s.alice.address, unit(2).toString(), 3, "Open", "paused"]]);
    expect(formatIncidentReport(report)).to.include("AFTER THE PAUSE");
    expect(formatIncidentReport(report)).to.include("live now: nothing (paused)");

    // An action about an output of v2 logged during the pause: v2's, and nothing was live.
    const [entry] = await findEntries(s.batches.A1.dir, "proofs.jsonl", requestOf("r1"));
    await (
      await s.actionLog
        .connect(s.alice)
        .logWithProof(
          s.modelId,
          requestOf("r1"),
          id("during the pause"),
          "ipfs://actions/paused",
          s.batches.A1.root,
          entry.record,
          entry.proof,
        )
    ).wait();
    const v2 = await reportOf(s, 2, { batchDirs: s.batchDirs });
    const text = formatIncidentReport(v2);
    expect(text).to.include(
      "(nothing live: paused or between releases), request 0xb3aa44cf…01f8: proven served by v2 in epoch 2 (VersionFaulty): counts for v2, which served it",
    );
    expect(text).to.not.include("not the live v0");
    expect(summarizeIncident(v2)).to.include(
      "(2 logged after the rollback, attributed to v2, which served them)",
    );
  });

  it("a contested payment: reported as Contested, awaiting proof, then unproven after the deadline", async function () {
    const s = await networkHelpers.loadFixture(demoScenario);
    const token = await s.token.getAddress();
    const receipt = await (
      await s.settlement
        .connect(s.alice)
        .settle(s.modelId, 1, 3, s.nodeA.address, token, unit(2), requestOf("c1"), 0)
    ).wait();
    const settled = receipt!.logs
      .map((l) => s.settlement.interface.parseLog(l))
      .find((l) => l?.name === "Settled")!;
    const details = detailsFromSettled(settled.args as unknown as SettledEventArgs);
    await (await s.settlement.connect(s.alice).contest(details)).wait();
    const stateOf = async () =>
      (await reportOf(s, 1)).payments
        .filter((p) => p.settlementId === settled.args.settlementId)
        .map((p) => [p.state, p.openStatus]);
    expect(await stateOf()).to.deep.equal([["Contested", "contested"]]);
    // The payee's batches are all at hand and none holds c1: the payer can wait out the deadline.
    const contested = (await reportOf(s, 1, { batchDirs: s.batchDirs })).payments.find(
      (p) => p.settlementId === settled.args.settlementId,
    )!;
    const contestBlock = await provider.getBlock(receipt!.blockNumber + 1);
    expect([contested.contestedAt, contested.proofDeadline]).to.deep.equal([
      contestBlock!.timestamp,
      Number(await s.settlement.proofDeadlineOf(details)),
    ]);
    expect(contested.service).to.deep.equal({
      records: [],
      found: "none",
      payerCan: [],
      payeeCan: [],
    });
    await networkHelpers.time.increaseTo(await s.settlement.proofDeadlineOf(details));
    await networkHelpers.mine(1);
    const report = await reportOf(s, 1);
    expect(await stateOf()).to.deep.equal([["Contested", "unproven"]]);
    expect(formatIncidentReport(report)).to.include("Contested, unproven");
  });

  it("a version never made live (v3): an empty but valid report", async function () {
    const s = await networkHelpers.loadFixture(demoScenario);
    await (
      await s.registry
        .connect(s.publisher)
        .registerVersion(
          s.modelId,
          blobOfVersion(3),
          id("w3"),
          "ipfs://v3",
          DEMO_PROOF_MASK,
          ZeroAddress,
        )
    ).wait();
    const report = await reportOf(s, 3, { batchDirs: s.batchDirs });
    expect(report.versionRecord.status).to.equal("Registered");
    expect(report.windows).to.deep.equal([]);
    expect(report.closedAt).to.equal(null);
    expect(report.incidents).to.deep.equal([]);
    expect(report.payments).to.deep.equal([]);
    expect(report.totals).to.deep.equal([]);
    expect(report.refunds).to.deep.equal([]);
    expect(report.claims).to.deep.equal([]);
    expect(report.actions).to.deep.equal({
      whileLive: [],
      servedByVersion: [],
      counters: { inLiveEpochs: 0, servedByVersion: 0 },
    });
    expect(report.batches).to.deep.equal([]);
    expect(report.records?.items).to.deep.equal([]);
    expect(report.records?.byStanding).to.deep.equal({});
    expect(report.afterClose).to.equal(null);
    expect(report.warnings).to.deep.equal([]);
    expect(report.scan.fromBlock).to.equal(report.scan.toBlock);
    expect(JSON.parse(JSON.stringify(report))).to.deep.equal(report);
    expect(summarizeIncident(report)).to.equal(
      "v3 of opengradient/llm was never live. 0 records served by v3 while live; 0 stale records " +
        "served under v3 after its window closed. Evidence: no anchored batch bears on v3. " +
        "0 payments bound to v3 (nothing): 0 refunded totalling " +
        "nothing, 0 claimed (nothing), 0 open. 0 agent actions: 0 logged while v3 was live, 0 proven " +
        "about outputs v3 served.",
    );
    const text = formatIncidentReport(report);
    expect(text).to.include("WINDOWS: 0\n  v3 was never made live");
    expect(text).to.include("AFTER ITS WINDOWS: none, v3 was never live");
  });

  it("a window opened and closed in one block is reported as never live", async function () {
    const s = await networkHelpers.loadFixture(demoScenario);
    const { registry } = s;
    const registryAddress = await registry.getAddress();
    await (
      await registry
        .connect(s.publisher)
        .registerVersion(
          s.modelId,
          blobOfVersion(3),
          id("w3"),
          "ipfs://v3",
          DEMO_PROOF_MASK,
          ZeroAddress,
        )
    ).wait();
    await safeExec(s.governance.address, s.governance.owners, {
      to: registryAddress,
      data: registry.interface.encodeFunctionData("propose", [s.modelId, 3]),
    });
    const { earliestActivation } = await registry.pendingProposal(s.modelId);
    await networkHelpers.time.increaseTo(earliestActivation);

    // activate v3 and roll it back in the same block
    const { chainId } = await provider.getNetwork();
    const rollback = buildSafeTransaction({
      to: registryAddress,
      data: registry.interface.encodeFunctionData("rollback", [
        s.modelId,
        3,
        1,
        1,
        id("caught at once"),
        "",
      ]),
      nonce: await safeAt(s.guardian.address, provider).nonce(),
    });
    const signatures = [];
    for (const owner of s.guardian.owners.slice(0, 2)) {
      signatures.push(await signSafeTransaction(owner, s.guardian.address, chainId, rollback));
    }
    await connection.provider.request({ method: "evm_setAutomine", params: [false] });
    let activated;
    let rolledBack;
    try {
      activated = await registry.connect(s.deployer).activate(s.modelId, { gasLimit: 1_000_000 });
      rolledBack = await safeAt(s.guardian.address, s.deployer).getFunction("execTransaction")(
        rollback.to,
        rollback.value,
        rollback.data,
        rollback.operation,
        rollback.safeTxGas,
        rollback.baseGas,
        rollback.gasPrice,
        rollback.gasToken,
        rollback.refundReceiver,
        encodeSignatures(signatures),
        { gasLimit: 2_000_000 },
      );
      await networkHelpers.mine();
    } finally {
      await connection.provider.request({ method: "evm_setAutomine", params: [true] });
    }
    const [r1, r2] = [await activated.wait(), await rolledBack.wait()];
    expect(r1?.status).to.equal(1);
    expect(r2?.status).to.equal(1);
    expect(r1?.blockNumber).to.equal(r2?.blockNumber);

    const report = await reportOf(s, 3);
    const block = r1?.blockNumber as number;
    const t = (await provider.getBlock(block))?.timestamp as number;
    expect(report.windows).to.deep.equal([
      {
        epoch: 4,
        startTime: t,
        startBlock: block,
        endTime: t,
        endBlock: block,
        endReason: "Rollback",
        neverLive: true,
        duration: 0,
      },
    ]);
    expect(
      report.incidents.map((i) => [
        i.id,
        i.kind,
        i.target,
        i.disposition,
        i.windowCount,
        i.epochs,
        i.at,
      ]),
    ).to.deep.equal([[2, "rollback", 1, "Faulty", 1, [4], t]]);
    expect(report.versionRecord.status).to.equal("Faulty");
    expect(report.live).to.deep.equal({ version: 1, epoch: 5, paused: false });
    expect(report.payments).to.deep.equal([]);
    expect(summarizeIncident(report)).to.match(
      /^v3 of opengradient\/llm was never live \(1 window opened and closed in one block\); 1 incident\./,
    );
    expect(formatIncidentReport(report)).to.include(`opened and closed at`);
    expect(formatIncidentReport(report)).to.include(`(Rollback): NEVER LIVE`);
  });

  it("finds the command line's settlement and action log, of the same suite only", async function () {
    const s = await networkHelpers.loadFixture(demoScenario);
    const tool = { ethers, chainId: 31337n, anchor: s.anchor, registry: s.registry };
    const settlement = getAddress(await s.settlement.getAddress());
    const actionLog = getAddress(await s.actionLog.getAddress());
    const found = await incidentContracts(tool, { settlement, actionLog }, "demo");
    expect(await found.settlement.getAddress()).to.equal(settlement);
    expect(await found.actionLog.getAddress()).to.equal(actionLog);
    // what the command prints with --json is the report
    const report = await incidentReport({
      provider,
      registry: s.registry,
      anchor: s.anchor,
      ...found,
      modelId: s.modelId,
      version: 2,
    });
    expect(JSON.parse(incidentReportJson(report))).to.deep.equal(report);

    const error = async (overrides: { settlement?: string; actionLog?: string }) => {
      try {
        await incidentContracts(tool, { settlement, actionLog, ...overrides }, "demo");
      } catch (e) {
        expect(e).to.be.instanceOf(CliError);
        expect((e as Error).message).to.not.include("\n");
        return (e as Error).message;
      }
      return expect.fail("expected a CliError");
    };
    const token = getAddress(await s.token.getAddress());
    expect(await error({ settlement: token })).to.equal(
      `the settlement ${token} does not answer registry() and anchor(): not a suite contract`,
    );
    const nowhere = "0x000000000000000000000000000000000000dEaD";
    expect(await error({ actionLog: nowhere })).to.equal(
      `no contract at ${nowhere} (AgentActionLog) on network demo (chain 31337)`,
    );
    const other = await deploySuite(s.deployer, {
      governor: s.deployer.address,
      guardian: s.deployer.address,
      admin: s.deployer.address,
      publishers: [],
    });
    const otherLog = getAddress(await other.actionLog.getAddress());
    expect(await error({ actionLog: otherLog })).to.equal(
      `the action log ${otherLog} uses registry ${getAddress(await other.registry.getAddress())} ` +
        `and anchor ${getAddress(await other.anchor.getAddress())}, not ` +
        `${getAddress(await s.registry.getAddress())} and ${getAddress(await s.anchor.getAddress())}: ` +
        "it belongs to another deployment",
    );
  });

  it("refuses an unknown model or version with one line", async function () {
    const s = await networkHelpers.loadFixture(demoScenario);
    const base = {
      provider,
      registry: s.registry,
      anchor: s.anchor,
      settlement: s.settlement,
      actionLog: s.actionLog,
    };
    const message = async (run: Promise<unknown>) => {
      try {
        await run;
      } catch (e) {
        expect(e).to.be.instanceOf(CliError);
        return (e as Error).message;
      }
      return expect.fail("expected a CliError");
    };
    expect(
      await message(
        incidentReport({ ...base, modelId: id("nope"), modelName: "nope", version: 1 }),
      ),
    ).to.match(/^no model nope on the registry 0x[0-9a-fA-F]{40} \(chain 31337\)$/);
    expect(
      await message(
        incidentReport({ ...base, modelId: s.modelId, modelName: DEMO_MODEL, version: 9 }),
      ),
    ).to.equal("model opengradient/llm has no version 9 (it has 2)");
    expect(
      await message(incidentReport({ ...base, modelId: s.modelId, version: 2, blockRange: 0 })),
    ).to.equal("the block range must be a positive whole number, got 0");
    // An unreadable directory is evidence that could not be read: listed, never silent.
    const report = await incidentReport({
      ...base,
      modelId: s.modelId,
      version: 2,
      batchDirs: [join(work, "none")],
      batchNames: ["none"],
    });
    expect(report.records.dirs.map((d) => d.status)).to.deep.equal(["unreadable"]);
    expect(report.problems[0].kind).to.equal("directory");
    expect(report.problems[0].message).to.match(
      /^none: unreadable: cannot read .*batch\.json: no such file or directory$/,
    );
    expect(report.complete).to.equal(false);
  });
});

describe("npm run incident: the command line", function () {
  it("parses its arguments", function () {
    expect(
      parseIncidentArgs([
        "--model",
        "opengradient/llm",
        "--version",
        "v2",
        "--network",
        "localhost",
        "--batch",
        "a",
        "--batch",
        "b",
        "--from-block",
        "12",
        "--block-range",
        "500",
        "--json",
        "--settlement",
        "0x2279b7a0a67db372996a5fab50d91eaa73d2ebe6",
        "--source",
        "dir:/srv/batches",
        "--source",
        "https://gw.example/ipfs/{cid}",
        "--store",
        "cache",
        "--labels",
        "labels.csv",
        "--accept-incomplete",
        "--out",
        "dossier",
        "--quiet",
      ]),
    ).to.deep.equal({
      model: { id: id("opengradient/llm"), name: "opengradient/llm" },
      version: 2,
      network: "localhost",
      fromBlock: 12,
      blockRange: 500,
      batchDirs: ["a", "b"],
      sources: ["dir:/srv/batches", "https://gw.example/ipfs/{cid}"],
      store: "cache",
      labelsFile: "labels.csv",
      out: "dossier",
      quiet: true,
      json: true,
      summary: false,
      acceptIncomplete: true,
      overrides: {
        anchor: undefined,
        settlement: "0x2279B7A0a67DB372996a5FaB50D91eAA73d2eBe6",
        actionLog: undefined,
        routing: undefined,
      },
    });
    const hex = id("m");
    expect(
      parseIncidentArgs(["--model", hex, "--version", "1", "--network", "x"]).model,
    ).to.deep.equal({ id: hex });
  });

  it("refuses bad arguments with one line", function () {
    const ok = ["--model", "m", "--version", "2", "--network", "localhost"];
    const without = (flag: string) => {
      const i = ok.indexOf(flag);
      return [...ok.slice(0, i), ...ok.slice(i + 2)];
    };
    expect(cliError(() => parseIncidentArgs(without("--model")))).to.match(
      /^missing --model \(usage: npm run incident -- /,
    );
    expect(cliError(() => parseIncidentArgs(without("--version")))).to.match(/^missing --version /);
    expect(cliError(() => parseIncidentArgs(without("--network")))).to.match(/^missing --network /);
    expect(
      cliError(() => parseIncidentArgs([...without("--version"), "--version", "two"])),
    ).to.equal("--version must be a whole number like 2 or v2, got two");
    expect(cliError(() => parseIncidentArgs([...without("--version"), "--version", "0"]))).to.equal(
      "--version must be from 1 to 4294967295, got 0",
    );
    expect(cliError(() => parseIncidentArgs([...ok, "--from-block", "1.5"]))).to.equal(
      "--from-block must be a whole number, got 1.5",
    );
    expect(cliError(() => parseIncidentArgs([...ok, "--block-range", "0"]))).to.equal(
      "--block-range must be at least 1, got 0",
    );
    expect(cliError(() => parseIncidentArgs([...ok, "--anchor", "0x1234"]))).to.equal(
      "--anchor must be an address, got 0x1234",
    );
    expect(
      cliError(() => parseIncidentArgs([...without("--model"), "--model", "0x1234"])),
    ).to.match(/^--model 0x1234: a 0x id must be 32 bytes/);
    expect(cliError(() => parseIncidentArgs([...ok, "--batch", ""]))).to.equal("--batch is empty");
    expect(cliError(() => parseIncidentArgs([...ok, "--source", ""]))).to.equal(
      "--source is empty",
    );
    expect(cliError(() => parseIncidentArgs([...ok, "--json", "--summary"]))).to.equal(
      "--json and --summary exclude each other",
    );
    expect(cliError(() => parseIncidentArgs([...ok, "--out", ""]))).to.equal("--out is empty");
    expect(parseCheckArgs(["d", "--network", "n", "--source", "dir:x", "--quiet"])).to.deep.equal({
      dir: "d",
      network: "n",
      sources: ["dir:x"],
      store: undefined,
      quiet: true,
      overrides: { anchor: undefined, settlement: undefined, actionLog: undefined },
    });
    expect(cliError(() => parseCheckArgs(["--network", "n"]))).to.match(
      /^check takes the dossier directory first \(usage: /,
    );
    expect(cliError(() => parseCheckArgs(["d"]))).to.match(/^missing --network /);
    expect(cliError(() => parseIncidentArgs([...ok, "--verbose"]))).to.match(
      /^Unknown option '--verbose'.*\(usage: /,
    );
    expect(cliError(() => parseIncidentArgs([...ok, "extra"]))).to.match(
      /positional argument.*\(usage: /,
    );
  });

  it("exits 1 with one line on stderr (the real script)", function () {
    this.timeout(120_000);
    const run = (args: string[]) =>
      spawnSync("tsx", ["scripts/incident.ts", ...args], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}` },
      });
    const missing = run(["--model", "opengradient/llm", "--version", "2"]);
    expect(missing.status).to.equal(1);
    expect(missing.stdout).to.equal("");
    expect(missing.stderr).to.match(
      /^incident: missing --network \(usage: npm run incident -- .*\)\n$/,
    );

    const nothingThere = run([
      "--model",
      "opengradient/llm",
      "--version",
      "2",
      "--network",
      "default",
      "--anchor",
      "0x000000000000000000000000000000000000dEaD",
    ]);
    expect(nothingThere.status).to.equal(1);
    expect(nothingThere.stdout).to.equal("");
    expect(nothingThere.stderr).to.equal(
      "incident: no contract at 0x000000000000000000000000000000000000dEaD on network default (chain 31337)\n",
    );
  });
});
