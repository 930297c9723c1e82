import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { randomRecords } from "../../scripts/bench/records.js";
import { RecordMerkleTree, verifyProof } from "../../src/records/merkle.js";
import { RECORD_TYPES, recordValues, type InferenceRecord } from "../../src/records/record.js";
import { cidOfRef } from "../../src/store/index.js";
import { BatchFileError, parseBatchFile } from "../../src/records/batch-file.js";
import {
  ROOT,
  type Run,
  expectOneLineError as expectError,
  runScript,
} from "../helpers/cli-run.js";

/** The store of the current test (runs never publish into the package's own .trail/store). */
let testStore = "";

/** Runs scripts/batch-build.ts ARGS from `cwd` (a temp dir), its default store in the test's. */
function runCli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return runScript("batch-build.ts", cwd, args, { TRAIL_STORE: testStore, ...env });
}

const jsonl = (records: readonly unknown[]) =>
  records.map((r) => JSON.stringify(r)).join("\n") + "\n";

const sha256 = (bytes: Uint8Array) => "0x" + createHash("sha256").update(bytes).digest("hex");

/** The one-line error a failing run must print: exit code 1, one stderr line, no stack. */
function expectOneLineError(run: Run, pattern: RegExp): void {
  expectError(run, "batch:build", pattern);
}

describe("npm run batch:build (scripts/batch-build.ts)", function () {
  this.timeout(60_000);

  let dir: string;
  const records: InferenceRecord[] = randomRecords(40, 42);

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), "batch-build-test-"));
    testStore = join(dir, "store");
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes batch.json, batch.jsonl, proofs.jsonl and tree.json that agree with StandardMerkleTree", async function () {
    // Blank lines are ignored; CRLF line ends are accepted.
    writeFileSync(
      join(dir, "records.jsonl"),
      "\n" + jsonl(records).replace(/\n/g, "\r\n") + "\n\n",
    );
    const run = await runCli(dir, ["--in", "records.jsonl", "--out", "out/batch-1"]);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.equal("");

    const reference = StandardMerkleTree.of(records.map(recordValues), [...RECORD_TYPES]);
    const [rootLine, summary, published] = run.stdout.trimEnd().split("\n");
    expect(rootLine).to.equal(reference.root);
    expect(summary).to.match(/^batch:build: 40 records of model 0x[0-9a-f]{64}/);

    const out = join(dir, "out/batch-1");
    expect(readdirSync(out).sort()).to.deep.equal([
      "batch.json",
      "batch.jsonl",
      "proofs.jsonl",
      "tree.json",
    ]);
    const batchFile = readFileSync(join(out, "batch.jsonl"));
    const fileRef = sha256(batchFile);
    const batch = JSON.parse(readFileSync(join(out, "batch.json"), "utf8"));
    const servedAt = records.map((r) => r.servedAt);
    expect(batch).to.deep.equal({
      root: reference.root,
      fileRef,
      count: 40,
      modelId: records[0].modelId,
      recordFormat: 1,
      firstServedAt: Math.min(...servedAt),
      lastServedAt: Math.max(...servedAt),
      leafEncoding: [...RECORD_TYPES],
      files: { batch: "batch.jsonl", proofs: "proofs.jsonl", tree: "tree.json" },
    });
    // Published to the default store (TRAIL_STORE here) under its SHA-256.
    const stored = join(testStore, "sha256", fileRef.slice(2));
    expect(published).to.equal(
      `batch:build: file ref ${fileRef} (CID ${cidOfRef(fileRef)}), published to ${stored}`,
    );
    expect(readFileSync(stored).equals(batchFile)).to.equal(true);

    const tree = JSON.parse(readFileSync(join(out, "tree.json"), "utf8"));
    expect(tree).to.deep.equal(reference.dump());
    expect(StandardMerkleTree.load(tree).root).to.equal(reference.root);

    const lines = readFileSync(join(out, "proofs.jsonl"), "utf8").trimEnd().split("\n");
    expect(lines).to.have.length(40);
    lines.forEach((line, i) => {
      const entry = JSON.parse(line);
      expect(Object.keys(entry)).to.deep.equal(["index", "leaf", "record", "proof"]);
      expect(entry.index).to.equal(i);
      expect(entry.record).to.deep.equal(records[i]);
      expect(entry.proof).to.deep.equal(reference.getProof(i));
      expect(verifyProof(entry.leaf, entry.proof, reference.root)).to.equal(true);
    });
    // batch.jsonl: exactly the "record" bytes of each proofs.jsonl line, in the same order.
    const recordLines = batchFile.toString("utf8").split("\n");
    expect(recordLines.pop()).to.equal("");
    expect(recordLines).to.deep.equal(
      lines.map((line) => line.slice(line.indexOf('"record":') + 9, line.indexOf(',"proof":'))),
    );
    expect(recordLines).to.deep.equal(records.map((r) => JSON.stringify(r)));
    // No temporary directory is left beside the output.
    expect(readdirSync(join(dir, "out"))).to.deep.equal(["batch-1"]);
  });

  it("normalizes records as parseRecord does (lowercase hashes, checksummed addresses)", async function () {
    const raw = records.slice(0, 3).map((r) => ({
      ...r,
      requestId: r.requestId.toUpperCase().replace("0X", "0x"),
      agent: r.agent.toLowerCase(),
      servedAt: String(r.servedAt),
    }));
    writeFileSync(join(dir, "records.jsonl"), jsonl(raw));
    const run = await runCli(dir, ["--in", "records.jsonl", "--out", "out"]);
    expect(run.code, run.stderr).to.equal(0);
    const first = JSON.parse(readFileSync(join(dir, "out/proofs.jsonl"), "utf8").split("\n")[0]);
    expect(first.record).to.deep.equal(records[0]);
    expect(run.stdout.split("\n")[0]).to.equal(
      RecordMerkleTree.fromRecords(records.slice(0, 3)).root,
    );
  });

  it("reports a bad line with its line number and writes nothing, not even the directory", async function () {
    const lines = jsonl(records).split("\n");
    lines[16] = JSON.stringify({ ...records[16], servedAt: 2 ** 48 });
    writeFileSync(join(dir, "records.jsonl"), lines.join("\n"));
    const run = await runCli(dir, ["--in", "records.jsonl", "--out", "out"]);
    expectOneLineError(run, /records\.jsonl line 17: servedAt must be a uint48/);
    expect(run.stdout).to.equal("");
    expect(readdirSync(dir)).to.deep.equal(["records.jsonl"]);
  });

  it("reports a line that is not JSON with its line number", async function () {
    writeFileSync(join(dir, "records.jsonl"), jsonl(records.slice(0, 2)) + "\n{not json\n");
    const run = await runCli(dir, ["--in", "records.jsonl", "--out", "out"]);
    expectOneLineError(run, /records\.jsonl line 4: not valid JSON/);
    expect(existsSync(join(dir, "out"))).to.equal(false);
  });

  it("rejects a batch that mixes modelIds, naming the line", async function () {
    const other = { ...records[5], modelId: "0x" + "ab".repeat(32) };
    writeFileSync(
      join(dir, "records.jsonl"),
      jsonl([...records.slice(0, 5), other, ...records.slice(6)]),
    );
    const run = await runCli(dir, ["--in", "records.jsonl", "--out", "out"]);
    expectOneLineError(
      run,
      /records\.jsonl line 6: modelId 0x(ab){32} differs from the batch's modelId/,
    );
    expect(existsSync(join(dir, "out"))).to.equal(false);
  });

  it("refuses an existing non-empty output directory and leaves it untouched", async function () {
    writeFileSync(join(dir, "records.jsonl"), jsonl(records));
    mkdirSync(join(dir, "out"));
    writeFileSync(join(dir, "out/keep.txt"), "mine");
    const run = await runCli(dir, ["--in", "records.jsonl", "--out", "out"]);
    expectOneLineError(run, /out exists and is not empty/);
    expect(readdirSync(join(dir, "out"))).to.deep.equal(["keep.txt"]);
    expect(readdirSync(dir).sort()).to.deep.equal(["out", "records.jsonl"]);
  });

  it("fills an existing empty output directory, with paths relative to where npm was run", async function () {
    writeFileSync(join(dir, "records.jsonl"), jsonl(records.slice(0, 1)));
    mkdirSync(join(dir, "out"));
    // As `npm run batch:build` from `dir` does: the script runs in the package root.
    const npm = { npm_lifecycle_event: "batch:build", INIT_CWD: dir };
    const run = await runCli(ROOT, ["--in", "records.jsonl", "--out", "out"], npm);
    expect(run.code, run.stderr).to.equal(0);
    expect(readdirSync(join(dir, "out")).sort()).to.deep.equal([
      "batch.json",
      "batch.jsonl",
      "proofs.jsonl",
      "tree.json",
    ]);
    const line = JSON.parse(readFileSync(join(dir, "out/proofs.jsonl"), "utf8"));
    expect(line.proof).to.deep.equal([]);
    expect(line.leaf).to.equal(run.stdout.split("\n")[0]);
  });

  it("gives a one-line usage message and exit code 1 for missing or unknown arguments", async function () {
    const runs = await Promise.all([
      runCli(dir, []),
      runCli(dir, ["--in", "x.jsonl"]),
      runCli(dir, ["--in", "x", "--out", "y", "--bogus"]),
      runCli(dir, ["--in"]),
    ]);
    expectOneLineError(runs[0], /missing --in \(usage: npm run batch:build/);
    expectOneLineError(runs[1], /missing --out/);
    expectOneLineError(runs[2], /Unknown option '--bogus'/);
    expectOneLineError(runs[3], /argument missing/);
    expect(readdirSync(dir)).to.deep.equal([]);
  });

  it("reports an unreadable input or an empty one in one line without a stack trace", async function () {
    writeFileSync(join(dir, "empty.jsonl"), "\n\n");
    const [missing, empty] = await Promise.all([
      runCli(dir, ["--in", "missing.jsonl", "--out", "out"]),
      runCli(dir, ["--in", "empty.jsonl", "--out", "out"]),
    ]);
    expectOneLineError(missing, /cannot read missing\.jsonl: no such file or directory/);
    expectOneLineError(empty, /empty\.jsonl has no records/);
    expect(readdirSync(dir)).to.deep.equal(["empty.jsonl"]);
  });

  it("publishes batch.jsonl to --store (relative to where npm was run), or not at all with --no-publish", async function () {
    writeFileSync(join(dir, "records.jsonl"), jsonl(records));
    const npm = { npm_lifecycle_event: "batch:build", INIT_CWD: dir };
    const run = await runCli(ROOT, ["--in", "records.jsonl", "--out", "a", "--store", "mine"], npm);
    expect(run.code, run.stderr).to.equal(0);
    const { fileRef } = JSON.parse(readFileSync(join(dir, "a/batch.json"), "utf8"));
    const stored = join(dir, "mine/sha256", fileRef.slice(2));
    expect(run.stdout.trimEnd().split("\n")[2]).to.match(new RegExp(`published to ${stored}$`));
    expect(readFileSync(stored).equals(readFileSync(join(dir, "a/batch.jsonl")))).to.equal(true);
    expect(existsSync(testStore)).to.equal(false);

    const quiet = await runCli(dir, ["--in", "records.jsonl", "--out", "b", "--no-publish"]);
    expect(quiet.code, quiet.stderr).to.equal(0);
    expect(quiet.stdout.trimEnd().split("\n")[2]).to.match(/, not published \(--no-publish\)$/);
    expect(existsSync(testStore)).to.equal(false);
    // The same records make the same bytes, so the same reference.
    expect(JSON.parse(readFileSync(join(dir, "b/batch.json"), "utf8")).fileRef).to.equal(fileRef);

    const both = await runCli(dir, [
      "--in",
      "records.jsonl",
      "--out",
      "c",
      "--store",
      "x",
      "--no-publish",
    ]);
    expectOneLineError(both, /--store and --no-publish exclude each other/);
  });

  it("reports a failure to publish in one line, keeping the written batch directory", async function () {
    writeFileSync(join(dir, "records.jsonl"), jsonl(records.slice(0, 3)));
    writeFileSync(join(dir, "blocker"), "a file where the store's folder should be");
    const run = await runCli(dir, ["--in", "records.jsonl", "--out", "out", "--store", "blocker"]);
    expectOneLineError(
      run,
      /^batch:build: out was written, but its batch\.jsonl was not published: cannot write to the store .*blocker: .*\(publish it later: npm run store:put -- --file out\/batch\.jsonl --store blocker\)$/,
    );
    expect(readdirSync(join(dir, "out")).sort()).to.deep.equal([
      "batch.json",
      "batch.jsonl",
      "proofs.jsonl",
      "tree.json",
    ]);
  });

  it("writes a batch.jsonl that parseBatchFile reads back as the same leaves, and names a bad line", async function () {
    writeFileSync(join(dir, "records.jsonl"), jsonl(records));
    const run = await runCli(dir, ["--in", "records.jsonl", "--out", "out", "--no-publish"]);
    expect(run.code, run.stderr).to.equal(0);
    const bytes = readFileSync(join(dir, "out/batch.jsonl"));
    const parsed = parseBatchFile(bytes, "batch.jsonl");
    expect(parsed.count).to.equal(records.length);
    expect(Array.from({ length: parsed.count }, (_, i) => parsed.get(i))).to.deep.equal(records);
    const tree = RecordMerkleTree.fromLeaves(parsed.leaves());
    expect(tree.root).to.equal(run.stdout.split("\n")[0]);

    const lines = bytes.toString("utf8").split("\n");
    lines[6] = JSON.stringify({ ...records[6], version: -1 });
    expect(() => parseBatchFile(Buffer.from(lines.join("\n")), "b.jsonl")).to.throw(
      BatchFileError,
      /^b\.jsonl line 7: version must be a uint32/,
    );
  });
});
