/**
 * The watch (src/watch/, `npm run watch`) on the demo's story continued (a payment to the
 * node that never switched back, a pause, a resume, a revoke), on an in-process network, with real
 * webhook receivers on loopback: every alert kind reached with its evidence checked against the
 * chain, valid against schemas/watch-alert.schema.json, in chain order, once; the same alerts for
 * any range size; a receiver that fails its first attempts (retried, in order) and one that never
 * answers (bounded, the watch goes on, every loss reported); a restart from the state file (once
 * only, none missing, undelivered alerts delivered first); --from-block; the command line's errors.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { Ajv2020 } from "ajv/dist/2020.js";
import { expect } from "chai";
import { BrowserProvider, getAddress, type Provider } from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import { DEMO_MODEL, ROLLBACK_REASON_URI, requestOf } from "../../scripts/demo/scenario.js";
import { findEntries } from "../../src/node/anchoring.js";
import { CliError } from "../../src/ground/cli.js";
import { decodeFlags } from "../../src/records/standing.js";
import { type Alert, DEFAULT_ACK_GRACE, WebhookQueue, readState } from "../../src/watch/index.js";
import { parseWatchArgs } from "../../src/watch/args.js";
import type { Eip1193Provider } from "../../src/chain/rpc-retry.js";
import { ROOT, expectOneLineError, runScript } from "../helpers/cli-run.js";
import { FlakyEip1193ProviderTestDouble } from "../helpers/flaky-provider.js";
import { type WatchStory, receiver, storyWatch, watchStory } from "../helpers/watch-fixture.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const provider = ethers.provider as unknown as Provider;

const MINUTE = 60;
const schema = JSON.parse(readFileSync(join(ROOT, "schemas", "watch-alert.schema.json"), "utf8"));
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

let work: string;
const story = () => watchStory(connection, work);

/** The alerts of a watch over the whole story (from block 0 to the latest). */
async function watchAll(
  s: WatchStory,
  options: Parameters<typeof storyWatch>[2] = {},
): Promise<Alert[]> {
  const { watch, alerts } = storyWatch(connection, s, options);
  await watch.init();
  await watch.runUntil(await provider.getBlockNumber());
  return alerts;
}

const brief = (a: Alert) => [a.kind, a.node, a.block.time];

/** The story's node C, if it has one (it joins the demo's story in a later version). */
const nodeCOf = (s: WatchStory): string | undefined =>
  (s as unknown as { nodeC?: { address: string } }).nodeC?.address;

/** How many alerts the story raises at a 15-minute grace (two more with a node C). */
const storyAlerts = (s: WatchStory) => (nodeCOf(s) === undefined ? 11 : 13);

describe("the watch (npm run watch)", function () {
  this.timeout(300_000);
  before(function () {
    work = mkdtempSync(join(tmpdir(), "watch-"));
  });
  after(async function () {
    rmSync(work, { recursive: true, force: true });
    await connection.close();
  });

  it("raises every kind once, in chain order, with its evidence", async function () {
    const s = await networkHelpers.loadFixture(story);
    const alerts = await watchAll(s);
    const { v1Live, rollback: TR } = s.times;
    const A = s.nodeA.address;
    const B = s.nodeB.address;
    // The first block at or after a time (the story mines a block at t-1 before each step at t).
    const firstBlockAt = async (t: number) => {
      for (let n = 0; ; n++) {
        const b = await provider.getBlock(n);
        if (b!.timestamp >= t) return b!;
      }
    };
    const lapse1 = (await firstBlockAt(v1Live + 15 * MINUTE)).timestamp;
    const lapse3 = (await firstBlockAt(TR + 15 * MINUTE)).timestamp;
    // A node C, if the story has one, acknowledges from v2 on and epoch 3 an hour late.
    const C = nodeCOf(s);
    const ifC = <T>(x: T) => (C === undefined ? [] : [x]);
    expect(alerts.map(brief)).to.deep.equal([
      // epoch 1: no node ever acknowledged it (the story's nodes start acknowledging at v2)
      ["unacknowledged", A, lapse1],
      ["unacknowledged", B, lapse1],
      ...ifC(["unacknowledged", C, lapse1]),
      // epoch 2: all acknowledged within 15 minutes; batches A1, A2 claim the live v2: nothing
      ["rollback", null, TR],
      // epoch 3: node A acknowledged at TR+5m, node B never did
      ["unacknowledged", B, lapse3],
      ...ifC(["unacknowledged", C, lapse3]),
      ["stale-batch", A, TR + 30 * MINUTE],
      ["stale-batch", B, TR + 90 * MINUTE],
      ["batch-disputed", B, TR + 150 * MINUTE],
      ["batch-unverified", B, TR + 230 * MINUTE],
      ["payment-to-unacknowledged", B, s.extra.paymentToB],
      ["pause", null, s.extra.pause],
      // epoch 4 (the resume) closed by the revoke within its grace: no unacknowledged alert
      ["revoke", null, s.extra.revoke],
    ]);
    expect(alerts).to.have.length(storyAlerts(s));
    for (const a of alerts) {
      expect(validate(a), `${a.kind}: ${JSON.stringify(validate.errors)}`).to.equal(true);
      expect(a.model).to.deep.equal({ id: s.modelId.toLowerCase(), name: DEMO_MODEL });
      expect(a.chainId).to.equal(31337);
      const block = await provider.getBlock(a.block.number);
      expect(block!.timestamp).to.equal(a.block.time);
      if (a.kind !== "unacknowledged") {
        const receipt = await provider.getTransactionReceipt(a.txHash!);
        expect(receipt!.blockNumber).to.equal(a.block.number);
      }
    }
    expect(new Set(alerts.map((a) => a.id)).size).to.equal(alerts.length);
    const byKind = (kind: string) => alerts.filter((a) => a.kind === kind);

    const [rb] = byKind("rollback");
    expect(rb.details).to.deep.equal({
      fromVersion: 2,
      toVersion: 1,
      incidentId: 1,
      disposition: "Faulty",
      by: s.guardian.address,
      reasonHash: rb.details.reasonHash,
      reasonURI: ROLLBACK_REASON_URI,
    });

    const unackB3 = byKind("unacknowledged").find((a) => a.node === B && a.details.epoch === 3)!;
    // The switch is the rollback's activation: its transaction, its block.
    expect(unackB3.txHash).to.equal(rb.txHash);
    expect(unackB3.details).to.deep.include({
      epoch: 3,
      version: 1,
      switchedAt: TR,
      switchBlock: rb.block.number,
      deadline: TR + 15 * MINUTE,
      ackGraceSeconds: 15 * MINUTE,
      lastAcknowledged: { epoch: 2, at: s.times.v2Live + 12 * MINUTE },
    });
    const before = await provider.getBlock(unackB3.block.number - 1);
    expect(before!.timestamp).to.be.below(TR + 15 * MINUTE);

    const [a3, b1] = byKind("stale-batch");
    expect(a3.details.root).to.equal(s.batches.A3.root.toLowerCase());
    expect(a3.records.map((r) => [r.requestId, r.primary, r.flags])).to.deep.equal([
      [requestOf("r4"), "Unconfirmable", ["Unconfirmable", "VersionFaulty"]],
      [requestOf("r5"), "Unconfirmable", ["Unconfirmable", "VersionFaulty"]],
    ]);
    expect(b1.details).to.deep.include({
      root: s.batches.B1.root.toLowerCase(),
      count: 3,
      liveVersion: 1,
      staleCount: 3,
      file: { status: "verified", from: "cache" },
    });
    expect(b1.details.closedEpochs).to.deep.equal([{ epoch: 2, version: 2, endTime: TR }]);
    expect(b1.requestIds).to.deep.equal(["s1", "s2", "s3"].map(requestOf));
    expect(b1.summary).to.include("3 records claim closed v2 (3 NotLive)");
    // The flags are the contract's own, at the anchoring block.
    for (const r of b1.records) {
      expect(r.node).to.equal(B);
      const [entry] = await findEntries(s.batches.B1.dir, "proofs.jsonl", r.requestId);
      const [included, flags] = await s.anchor.verifyRecord(
        s.modelId,
        s.batches.B1.root,
        entry.record,
        entry.proof,
        { blockTag: b1.block.number },
      );
      expect(included).to.equal(true);
      expect(r.flags).to.deep.equal(decodeFlags(flags));
      expect(r.flags).to.deep.equal(["NotLive", "VersionFaulty"]);
    }

    const [dispute] = byKind("batch-disputed");
    expect(dispute.details).to.deep.include({
      root: s.batches.B1.root.toLowerCase(),
      disputeIndex: 0,
      by: s.guardian.address,
    });

    const [unverified] = byKind("batch-unverified");
    expect(unverified.details.root).to.equal(s.batches.B2.root.toLowerCase());
    expect(unverified.details.file).to.deep.equal({
      status: "missing",
      why: "its file is not available (cache: not-found)",
      attempts: [{ source: "cache", outcome: "not-found" }],
    });
    expect(unverified.summary).to.include("its file is not available");

    const [payment] = byKind("payment-to-unacknowledged");
    expect(payment.requestIds).to.deep.equal([requestOf("p1")]);
    expect(payment.details).to.deep.include({
      settlementId: s.paymentToB.toLowerCase(),
      payer: s.alice.address,
      payee: B,
      version: 1,
      epoch: 3,
      token: getAddress(await s.token.getAddress()),
      amount: (2n * 10n ** 18n).toString(),
    });

    expect(byKind("pause")[0].details).to.deep.equal({ version: 1, by: s.guardian.address });
    expect(byKind("revoke")[0].details).to.deep.include({
      version: 1,
      incidentId: 2,
      disposition: "Withdrawn",
    });
  });

  it("raises the same alerts at the same blocks whatever the range size", async function () {
    const s = await networkHelpers.loadFixture(story);
    const small = await watchAll(s, { blockRange: 1 });
    const large = await watchAll(s, { blockRange: 10_000 });
    expect(large).to.deep.equal(small);
    expect(small).to.have.length(storyAlerts(s));
  });

  it("the deadline: an acknowledgement in the first block past it counts; a late one does not", async function () {
    const s = await networkHelpers.loadFixture(story);
    const alerts = await watchAll(s, { ackGraceSeconds: DEFAULT_ACK_GRACE });
    const T2 = s.times.v2Live;
    // Node A acknowledged epoch 2 exactly at T2+10m (the deadline's block); node B at T2+12m
    // (and a node C, if any, at T2+14m).
    const epoch2 = alerts.filter((a) => a.kind === "unacknowledged" && a.details.epoch === 2);
    const C = nodeCOf(s);
    expect(epoch2.map(brief)).to.deep.equal([
      ["unacknowledged", s.nodeB.address, T2 + 10 * MINUTE],
      ...(C === undefined ? [] : [["unacknowledged", C, T2 + 10 * MINUTE]]),
    ]);
  });

  it("delivers every alert to the webhook in order, once, retrying a receiver that fails its first attempts", async function () {
    const s = await networkHelpers.loadFixture(story);
    const server = await receiver((n) => (n <= 3 ? 503 : n === 4 ? 429 : 200));
    const retries: string[] = [];
    const queue = new WebhookQueue({
      url: `${server.base}/alerts`,
      attempts: 6,
      timeoutMs: 2000,
      baseDelayMs: 5,
      onRetry: (a, attempt, why) => retries.push(`${a.kind} ${attempt} ${why}`),
    });
    try {
      const alerts = await watchAll(s, { queue });
      expect(await queue.drain(20_000)).to.equal(true);
      expect(server.received.map((r) => r.id)).to.deep.equal(alerts.map((a) => a.id));
      expect(server.received.map((r) => r.body)).to.deep.equal(alerts);
      expect(server.requests).to.equal(alerts.length + 4);
      expect(retries).to.deep.equal([
        "unacknowledged 1 HTTP 503",
        "unacknowledged 2 HTTP 503",
        "unacknowledged 3 HTTP 503",
        "unacknowledged 4 HTTP 429",
      ]);
      expect([queue.delivered, queue.lost]).to.deep.equal([alerts.length, 0]);
    } finally {
      await queue.close();
      await server.close();
    }
  });

  it("a receiver that never answers: each delivery is bounded, the watch goes on, every loss is reported in order", async function () {
    const s = await networkHelpers.loadFixture(story);
    const server = await receiver(() => "hang");
    const lost: string[] = [];
    const queue = new WebhookQueue({
      url: `${server.base}/alerts`,
      attempts: 2,
      timeoutMs: 100,
      baseDelayMs: 5,
      onLost: (a, why, attempts) => lost.push(`${a.id} ${attempts} ${why}`),
    });
    try {
      const started = Date.now();
      const alerts = await watchAll(s, { queue });
      // The follow loop did not wait for the webhook: every alert was raised while it hung.
      expect(alerts).to.have.length(storyAlerts(s));
      expect(queue.pending.length).to.be.greaterThan(0);
      expect(await queue.drain(30_000)).to.equal(true);
      expect(Date.now() - started).to.be.below(30_000);
      expect(lost).to.deep.equal(alerts.map((a) => `${a.id} 2 no answer within 100 ms`));
      expect([queue.delivered, queue.lost]).to.deep.equal([0, alerts.length]);
      expect(server.received).to.deep.equal([]);
    } finally {
      await queue.close();
      await server.close();
    }
  });

  it("a refusal (4xx) is not retried: that alert is lost, the next ones are delivered", async function () {
    const s = await networkHelpers.loadFixture(story);
    const server = await receiver((n) => (n === 1 ? 400 : 200));
    const lost: string[] = [];
    const queue = new WebhookQueue({
      url: server.base,
      baseDelayMs: 5,
      onLost: (a, why) => lost.push(`${a.kind} ${why}`),
    });
    try {
      const alerts = await watchAll(s, { queue });
      expect(await queue.drain(20_000)).to.equal(true);
      expect(lost).to.deep.equal(["unacknowledged HTTP 400 (refused)"]);
      expect(server.received.map((r) => r.id)).to.deep.equal(alerts.slice(1).map((a) => a.id));
    } finally {
      await queue.close();
      await server.close();
    }
  });

  it("restarts from its state file: once only, none missing, undelivered alerts delivered first", async function () {
    const s = await networkHelpers.loadFixture(story);
    const full = await watchAll(s);
    const statePath = join(work, "restart", "state.json");
    const rollbackBlock = full.find((a) => a.kind === "rollback")!.block.number;

    // Run 1, to the rollback's block, with a webhook that never answers in time: stopped, its
    // undelivered alerts stay in the state file.
    const hanging = await receiver(() => "hang");
    const queue1 = new WebhookQueue({ url: hanging.base, attempts: 100, timeoutMs: 60_000 });
    const run1 = storyWatch(connection, s, { statePath, queue: queue1 });
    await run1.watch.init();
    await run1.watch.runUntil(rollbackBlock);
    await queue1.close().catch(() => {});
    await hanging.close();
    run1.watch.save();
    const saved = readState(statePath)!;
    expect(saved.nextBlock).to.equal(rollbackBlock + 1);
    expect(saved.pending.map((a) => a.id)).to.deep.equal(run1.alerts.map((a) => a.id));
    expect(run1.alerts.map((a) => a.kind)).to.deep.equal([
      ...Array(nodeCOf(s) === undefined ? 2 : 3).fill("unacknowledged"),
      "rollback",
    ]);

    // Run 2, from the state: the pending alerts first, then the new ones, each once.
    const server = await receiver();
    const queue2 = new WebhookQueue({ url: server.base, baseDelayMs: 5 });
    try {
      for (const a of saved.pending) queue2.enqueue(a);
      const run2 = storyWatch(connection, s, { state: saved, statePath, queue: queue2 });
      await run2.watch.init();
      await run2.watch.runUntil(await provider.getBlockNumber());
      expect(await queue2.drain(20_000)).to.equal(true);
      expect([...run1.alerts, ...run2.alerts]).to.deep.equal(full);
      expect(server.received.map((r) => r.body)).to.deep.equal(full);
      run2.watch.save();
      expect(readState(statePath)!.pending).to.deep.equal([]);
    } finally {
      await queue2.close();
      await server.close();
    }

    // Run 3, from the state again: nothing new, nothing raised twice.
    const run3 = storyWatch(connection, s, { state: readState(statePath), statePath });
    await run3.watch.init();
    await run3.watch.runUntil(await provider.getBlockNumber());
    expect(run3.alerts).to.deep.equal([]);
    // Written atomically: no temporary file left beside it.
    expect(readFileSync(statePath, "utf8").endsWith("\n")).to.equal(true);
  });

  it("--from-block: causes before it are not raised; what the rules need is read from before it", async function () {
    const s = await networkHelpers.loadFixture(story);
    const full = await watchAll(s);
    const rollbackBlock = full.find((a) => a.kind === "rollback")!.block.number;
    const { watch, alerts } = storyWatch(connection, s, { fromBlock: rollbackBlock + 1 });
    await watch.init();
    await watch.runUntil(await provider.getBlockNumber());
    // Node B's lapse on epoch 3 is found: the operators, the switch and the acknowledgements were
    // read from the blocks before the start.
    expect(alerts).to.deep.equal(full.filter((a) => a.block.number > rollbackBlock));
    expect(alerts[0].kind).to.equal("unacknowledged");
    const ahead = storyWatch(connection, s, { fromBlock: (await provider.getBlockNumber()) + 2 });
    try {
      await ahead.watch.init();
      expect.fail("expected a CliError");
    } catch (e) {
      expect(e).to.be.instanceOf(CliError);
      expect((e as Error).message).to.match(
        /^--from-block \d+ is ahead of the chain \(the next block to read is \d+\)$/,
      );
    }
  });

  it("a node that fails requests: the failed range is read again, the alerts are the same, none twice", async function () {
    const s = await networkHelpers.loadFixture(story);
    const full = await watchAll(s);
    const flaky = new FlakyEip1193ProviderTestDouble(
      connection.provider as unknown as Eip1193Provider,
      20,
    );
    const flakyProvider = new BrowserProvider(flaky, 31337, { staticNetwork: true });
    const notices: string[] = [];
    const { watch, alerts } = storyWatch(connection, s, {
      provider: flakyProvider as unknown as Provider,
      registry: s.registry.connect(flakyProvider) as typeof s.registry,
      anchor: s.anchor.connect(flakyProvider) as typeof s.anchor,
      notice: (line) => notices.push(line),
      pollMs: 1,
      blockRange: 1,
    });
    // init reads nothing before block 0; a failure there would be the command's one line.
    await watch.init();
    const stop = new AbortController();
    const guard = setTimeout(() => stop.abort(), 60_000);
    await watch.follow(stop.signal, await provider.getBlockNumber());
    clearTimeout(guard);
    expect(flaky.failed).to.be.greaterThan(5);
    expect(alerts).to.deep.equal(full);
    expect(
      notices.some((l) => /^reading from block \d+ failed \(.*\); trying again in/.test(l)),
    ).to.equal(true);
  });

  it("parses the command line; bad arguments are one line", function () {
    const request = parseWatchArgs([
      "--network",
      "localhost",
      "--webhook",
      "http://127.0.0.1:9/hook",
      "--ack-grace",
      "5m",
      "--model",
      DEMO_MODEL,
      "--poll",
      "0.5",
    ]);
    expect(request).to.deep.include({
      network: "localhost",
      webhook: "http://127.0.0.1:9/hook",
      ackGraceSeconds: 300,
      pollMs: 500,
      blockRange: 2000,
      webhookAttempts: 5,
    });
    expect(request.models).to.deep.equal([{ id: s_id(DEMO_MODEL), name: DEMO_MODEL }]);
    const bad = (argv: string[]) => {
      try {
        parseWatchArgs(argv);
      } catch (e) {
        expect(e).to.be.instanceOf(CliError);
        return (e as Error).message;
      }
      return expect.fail("expected a CliError");
    };
    expect(bad([])).to.match(/^missing --network /);
    expect(bad(["--network", "x", "--webhook", "ftp://x"])).to.equal(
      "--webhook must be an http:// or https:// URL, got ftp://x",
    );
    expect(bad(["--network", "x", "--ack-grace", "soon"])).to.match(/^--ack-grace must be/);
    expect(bad(["--network", "x", "--from-block", "9", "--until-block", "3"])).to.equal(
      "--until-block 3 is before --from-block 9",
    );
    expect(bad(["--network", "x", "--poll", "0"])).to.match(/^--poll must be/);
  });

  it("the command line: bad arguments and an unreachable network are one line, exit 1", async function () {
    expectOneLineError(
      await runScript("watch.ts", ROOT, ["--webhook", "http://x"]),
      "watch",
      /^watch: missing --network /,
    );
    // Port 8745 with nothing listening: the network does not answer.
    expectOneLineError(
      await runScript("watch.ts", ROOT, ["--network", "sepolia"], {
        SEPOLIA_RPC_URL: "http://127.0.0.1:8745",
        SEPOLIA_PRIVATE_KEY: "0x" + "11".repeat(32),
      }),
      "watch",
      /^watch: cannot reach network sepolia: /,
    );
  });
});

/**
 * The command line end to end: `scripts/watch.ts` as a child process against a real `hardhat node`
 * on 127.0.0.1:8745 (the network `sepolia` of hardhat.config.ts pointed there through its
 * configuration variables), with the story played on that node and a webhook receiver on loopback.
 */
describe("the watch's command line against a hardhat node (port 8745)", function () {
  this.timeout(300_000);
  const URL_8745 = "http://127.0.0.1:8745";
  const env = {
    SEPOLIA_RPC_URL: URL_8745,
    SEPOLIA_PRIVATE_KEY: "0x" + "11".repeat(32), // never used to sign: the watch only reads
  };
  let node: ChildProcess | undefined;
  let nodeConnection: NetworkConnection | undefined;
  let s: WatchStory;
  let dir: string;
  let latest: number;
  let expected: Alert[];

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), "watch-cli-"));
    const answers = async () => {
      try {
        const r = await fetch(URL_8745, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
        });
        return ((await r.json()) as { result?: string }).result === "0x7a69";
      } catch {
        return false;
      }
    };
    if (await answers()) throw new Error(`port 8745 is in use: stop that process first`);
    node = spawn(
      join(ROOT, "node_modules", ".bin", "hardhat"),
      ["node", "--hostname", "127.0.0.1", "--port", "8745"],
      { cwd: ROOT, stdio: "ignore" },
    );
    for (let i = 0; i < 120 && !(await answers()); i++) {
      if (node.exitCode !== null) throw new Error(`hardhat node exited (${node.exitCode})`);
      await new Promise((r) => setTimeout(r, 500));
    }
    nodeConnection = (await network.create({
      network: "localhost",
      override: { url: URL_8745 },
    })) as unknown as NetworkConnection;
    s = await watchStory(nodeConnection, dir);
    latest = await nodeConnection.ethers.provider.getBlockNumber();
    const { watch, alerts } = storyWatch(nodeConnection, s, { ackGraceSeconds: DEFAULT_ACK_GRACE });
    await watch.init();
    await watch.runUntil(latest);
    expected = alerts;
  });
  after(async function () {
    await nodeConnection?.close();
    if (node !== undefined && node.exitCode === null) {
      node.kill();
      await new Promise((r) => node!.once("exit", r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (extra: string[]) =>
    runScript(
      "watch.ts",
      ROOT,
      [
        "--network",
        "sepolia",
        "--anchor",
        s.anchor.target as string,
        "--settlement",
        s.settlement.target as string,
        "--routing",
        s.routing.target as string,
        "--model",
        DEMO_MODEL,
        "--store",
        join(dir, "store"),
        "--until-block",
        String(latest),
        "--poll",
        "0.1",
        ...extra,
      ],
      env,
    );
  const lines = (stdout: string) =>
    stdout
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Alert);

  it("prints every alert as a JSON line and posts it to the webhook, in order; exit 0; a restart raises nothing", async function () {
    const server = await receiver((n) => (n === 1 ? 503 : 200));
    try {
      const state = join(dir, "state.json");
      const run = await cli(["--from-block", "0", "--webhook", server.base, "--state", state]);
      expect(run.code, run.stderr).to.equal(0);
      const printed = lines(run.stdout);
      expect(printed).to.have.length(expected.length);
      expect(printed).to.deep.equal(expected);
      for (const a of printed) expect(validate(a), JSON.stringify(validate.errors)).to.equal(true);
      expect(server.received.map((r) => r.body)).to.deep.equal(printed);
      expect(run.stderr).to.match(/watch: ALERT rollback at block \d+ /);
      expect(run.stderr).to.match(/attempt 1 failed \(HTTP 503\)/);
      expect(run.stderr).to.include(`; ${printed.length} delivered, 0 lost`);
      expect(run.stderr).not.to.match(/\n\s+at /);

      const again = await cli(["--webhook", server.base, "--state", state]);
      expect(again.code, again.stderr).to.equal(0);
      expect(again.stdout).to.equal("");
      expect(server.received).to.have.length(printed.length);

      expectOneLineError(
        await cli(["--state", state, "--from-block", "3"]),
        "watch",
        /^watch: the state file .* resumes at block \d+: drop --from-block or use another --state$/,
      );
    } finally {
      await server.close();
    }
  });

  it("a webhook that never answers: the watch finishes, names every lost alert, exit 5", async function () {
    const server = await receiver(() => "hang");
    try {
      const run = await cli([
        "--from-block",
        "0",
        "--webhook",
        server.base,
        "--webhook-timeout",
        "100",
        "--webhook-attempts",
        "2",
        "--quiet",
      ]);
      expect(run.code, run.stderr).to.equal(5);
      expect(lines(run.stdout)).to.deep.equal(expected);
      const lost = run.stderr.split("\n").filter((l) => l.startsWith("watch: LOST: alert "));
      expect(lost.map((l) => l.split(" ")[3])).to.deep.equal(expected.map((a) => a.id));
      expect(lost[0]).to.match(/after 2 attempt\(s\): no answer within 100 ms; the watch goes on$/);
      expect(run.stderr).to.match(/: exit 5\n$/);
    } finally {
      await server.close();
    }
  });
});

function s_id(name: string): string {
  return ethers.id(name);
}
