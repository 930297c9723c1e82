/**
 * The incident dossier (`npm run incident -- … --out DIR`, src/incident/dossier.ts) and
 * its check (`npm run incident -- check DIR`, ./check.ts), on the story of `npm run demo`: the
 * files written atomically, report.json valid against schemas/incident-report.schema.json, and a
 * dossier that checks clean until one claim in it is edited.
 */
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  cpSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { Ajv2020 } from "ajv/dist/2020.js";
import { expect } from "chai";
import type { Provider } from "ethers";
import { network } from "hardhat";

import { CliError } from "../../src/ground/cli.js";
import { DEMO_MODEL, runScenario, type DemoScenario } from "../../scripts/demo/scenario.js";
import {
  DOSSIER_FILES,
  RecordDigest,
  dossierDifferences,
  incidentReport,
  readDossierHead,
  writeDossier,
  type IncidentReport,
  type IncidentReportOptions,
} from "../../src/incident/index.js";
import { parseSource } from "../../src/store/index.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const provider = ethers.provider as unknown as Provider;
const schema = JSON.parse(readFileSync("schemas/incident-report.schema.json", "utf8"));

let work: string;

async function demoScenario(): Promise<DemoScenario> {
  return runScenario(connection, { workDir: work });
}

function options(s: DemoScenario): IncidentReportOptions {
  return {
    provider,
    registry: s.registry,
    anchor: s.anchor,
    settlement: s.settlement,
    actionLog: s.actionLog,
    modelId: s.modelId,
    modelName: DEMO_MODEL,
    version: 2,
    sources: [parseSource(`dir:${s.store.root}`)],
    labels: s.labels,
  };
}

/** Writes the dossier of the demo's v2 into a new folder; returns the folder and the report. */
async function dossierOf(s: DemoScenario, name: string) {
  const dir = join(work, name);
  const report = await writeDossier(dir, (recordSink) =>
    incidentReport({ ...options(s), recordSink }),
  );
  return { dir, report };
}

/** Derives the dossier in `dir` again from the chain and the store, and lists the differences. */
async function differences(s: DemoScenario, dir: string): Promise<string[]> {
  const head = readDossierHead(dir);
  const digest = new RecordDigest();
  const rebuilt = await incidentReport({
    ...options(s),
    labels: undefined, // the checker has none: labels are not part of the comparison
    sources: [parseSource(`dir:${s.store.root}`)],
    fromBlock: head.fromBlock,
    toBlock: head.readBlock,
    blockRange: head.blockRange,
    recordSink: (r) => digest.add(r),
  });
  return dossierDifferences(dir, rebuilt, digest);
}

const linesOf = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "");

describe("incident dossier: files others can read, publish and check", function () {
  before(function () {
    work = mkdtempSync(join(tmpdir(), "incident-dossier-"));
  });
  after(async function () {
    rmSync(work, { recursive: true, force: true });
    await connection.close();
  });

  it("writes report.json (valid against its schema), the JSON Lines files, report.md and report.html", async function () {
    const s = await networkHelpers.loadFixture(demoScenario);
    const { dir, report } = await dossierOf(s, "dossier");
    expect(readdirSync(dir).sort()).to.deep.equal([...DOSSIER_FILES].sort());
    const json = JSON.parse(readFileSync(join(dir, "report.json"), "utf8"));
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
    expect(validate(json), JSON.stringify(validate.errors)).to.equal(true);
    expect(json.records.total).to.equal(10);
    expect(
      json.batches.map((b: IncidentReport["batches"][number]) => b.evidence.status),
    ).to.deep.equal(["verified", "verified", "verified", "verified", "missing"]);
    const records = linesOf(join(dir, "records.jsonl")).map((l) => JSON.parse(l));
    expect(records).to.deep.equal(report.records.items);
    expect(linesOf(join(dir, "payments.jsonl"))).to.have.length(5);
    expect(linesOf(join(dir, "actions.jsonl"))).to.have.length(4);
    expect(readFileSync(join(dir, "report.md"), "utf8")).to.include("Evidence problems");
    expect(readFileSync(join(dir, "report.html"), "utf8")).to.match(/^<!DOCTYPE html>/i);
    // A schema that says something: a report.json missing its evidence fails it.
    const { evidence: _e, ...without } = json;
    void _e;
    expect(validate(without)).to.equal(false);
  });

  it("writes nothing under the name when the report fails, and refuses a non-empty folder", async function () {
    const s = await networkHelpers.loadFixture(demoScenario);
    const dir = join(work, "failed");
    let threw = false;
    try {
      await writeDossier(dir, async (sink) => {
        sink({} as never);
        throw new CliError("the node went away");
      });
    } catch (e) {
      threw = (e as Error).message === "the node went away";
    }
    expect(threw).to.equal(true);
    expect(existsSync(dir)).to.equal(false);
    expect(readdirSync(work).filter((f) => f.startsWith(".failed"))).to.deep.equal([]);
    const { dir: full } = await dossierOf(s, "taken");
    let refused = "";
    try {
      await writeDossier(full, () => incidentReport(options(s)));
    } catch (e) {
      refused = (e as Error).message;
    }
    expect(refused).to.match(/exists and is not empty: choose a new directory$/);
  });

  it("an untouched dossier checks clean against the chain and the store", async function () {
    const s = await networkHelpers.loadFixture(demoScenario);
    const { dir } = await dossierOf(s, "clean");
    // Later blocks change nothing: the check reads at the dossier's block.
    await networkHelpers.mine(3);
    expect(await differences(s, dir)).to.deep.equal([]);
  });

  it("names each edited claim: a payment's state, a removed record, an added fake record, a window", async function () {
    const s = await networkHelpers.loadFixture(demoScenario);
    const { dir } = await dossierOf(s, "original");
    const copy = (name: string, edit: (d: string) => void) => {
      const d = join(work, name);
      cpSync(dir, d, { recursive: true });
      edit(d);
      return d;
    };
    const editLines = (file: string, edit: (lines: string[]) => string[]) =>
      writeFileSync(file, edit(linesOf(file)).join("\n") + "\n");

    const payment = copy("edited-payment", (d) =>
      editLines(join(d, "payments.jsonl"), (ls) =>
        ls.map((l, i) => (i === 2 ? l.replace('"state":"Refunded"', '"state":"Claimed"') : l)),
      ),
    );
    expect(await differences(s, payment)).to.deep.equal([
      'payments.jsonl line 3.state: the dossier has "Claimed", the chain gives "Refunded"',
    ]);

    const removed = copy("removed-record", (d) =>
      editLines(join(d, "records.jsonl"), (ls) => ls.filter((_, i) => i !== 7)),
    );
    const gone = JSON.parse(linesOf(join(dir, "records.jsonl"))[7]);
    expect(await differences(s, removed)).to.deep.equal([
      `records.jsonl: record ${gone.root} #${gone.index} is missing`,
    ]);

    const added = copy("added-record", (d) =>
      editLines(join(d, "records.jsonl"), (ls) => {
        const fake = { ...JSON.parse(ls[0]), index: 99, requestId: "0x" + "ee".repeat(32) };
        return [...ls, JSON.stringify(fake)];
      }),
    );
    const first = JSON.parse(linesOf(join(dir, "records.jsonl"))[0]);
    expect(await differences(s, added)).to.deep.equal([
      `records.jsonl line 11: record 99 of batch ${first.root} (request 0x${"ee".repeat(32)}) is not a record the chain and storage give`,
    ]);

    const window = copy("edited-window", (d) => {
      const f = join(d, "report.json");
      const j = JSON.parse(readFileSync(f, "utf8"));
      j.windows[0].endTime += 3600;
      writeFileSync(f, JSON.stringify(j));
    });
    const diffs = await differences(s, window);
    const endTime = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")).windows[0].endTime;
    expect(diffs).to.deep.equal([
      `report.json windows[0].endTime: the dossier has ${endTime + 3600}, the chain gives ${endTime}`,
    ]);
  });

  it("refuses a folder that is not a dossier with one line", function () {
    const d = join(work, "not-a-dossier");
    cpSync(join(work, "dossier"), d, { recursive: true });
    writeFileSync(join(d, "report.json"), JSON.stringify({ format: "something else" }));
    expect(() => readDossierHead(d)).to.throw(
      CliError,
      /report\.json is not an incident dossier \(format rollback-trail\/incident-dossier\/v1\)$/,
    );
  });
});
