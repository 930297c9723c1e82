import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { execFile } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { randomRecords } from "../../scripts/bench/records.js";
import { RecordMerkleTree, verifyProof } from "../../scripts/lib/merkle.js";
import { RECORD_TYPES, recordValues, type InferenceRecord } from "../../scripts/lib/record.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SCRIPT = join(ROOT, "scripts/batch-build.ts");
// `node --import tsx` (tsx's loader, by absolute URL: the child runs in a temp dir) rather than the
// tsx CLI, which would start a second Node.js process.
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs scripts/batch-build.ts ARGS with tsx, from `cwd` (a temp dir), as a child process. */
function runCli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolvePromise) => {
    const argv = ["--import", TSX_LOADER, SCRIPT, ...args];
    const options = { cwd, env: { ...process.env, ...env } };
    execFile(process.execPath, argv, options, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

const jsonl = (records: readonly unknown[]) =>
  records.map((r) => JSON.stringify(r)).join("\n") + "\n";

/** The one-line error a failing run must print: exit code 1, one stderr line, no stack. */
function expectOneLineError(run: Run, pattern: RegExp): void {
  expect(run.code, run.stderr).to.equal(1);
  const lines = run.stderr.trimEnd().split("\n");
  expect(lines, run.stderr).to.have.length(1);
  expect(lines[0]).to.match(/^batch:build: /);
  expect(lines[0]).to.match(pattern);
  expect(run.stderr).not.to.match(/\n\s+at /);
}

describe("npm run batch:build (scripts/batch-build.ts)", function () {
  this.timeout(60_000);

  let dir: string;
  const records: InferenceRecord[] = randomRecords(40, 42);

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), "batch-build-test-"));
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes batch.json, proofs.jsonl and tree.json that agree with StandardMerkleTree", async function () {
    // Blank lines are ignored; CRLF line ends are accepted.
    writeFileSync(
      join(dir, "records.jsonl"),
      "\n" + jsonl(records).replace(/\n/g, "\r\n") + "\n\n",
    );
    const run = await runCli(dir, ["--in", "records.jsonl", "--out", "out/batch-1"]);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.equal("");

    const reference = StandardMerkleTree.of(records.map(recordValues), [...RECORD_TYPES]);
    const [rootLine, summary] = run.stdout.trimEnd().split("\n");
    expect(rootLine).to.equal(reference.root);
    expect(summary).to.match(/^batch:build: 40 records of model 0x[0-9a-f]{64}/);

    const out = join(dir, "out/batch-1");
    expect(readdirSync(out).sort()).to.deep.equal(["batch.json", "proofs.jsonl", "tree.json"]);
    const batch = JSON.parse(readFileSync(join(out, "batch.json"), "utf8"));
    const servedAt = records.map((r) => r.servedAt);
    expect(batch).to.deep.equal({
      root: reference.root,
      count: 40,
      modelId: records[0].modelId,
      recordFormat: 1,
      firstServedAt: Math.min(...servedAt),
      lastServedAt: Math.max(...servedAt),
      leafEncoding: [...RECORD_TYPES],
      files: { proofs: "proofs.jsonl", tree: "tree.json" },
    });

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
});
