/**
 * The incident report's renderers for the dossier (src/incident/markdown.ts, html.ts and
 * timeline.ts) on the story of `npm run demo`: the Markdown's sections and tables, the HTML page
 * self-contained with one timeline mark per window, incident, batch, payment and record, both
 * escaped, a version never made live drawn without NaN, and the page rendered in headless
 * Chromium (its DOM, its console and a screenshot in test-output/).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

import { expect } from "chai";
import { ZeroAddress, id, type Provider } from "ethers";
import { network } from "hardhat";

import {
  DEMO_MODEL,
  DEMO_PROOF_MASK,
  blobOfVersion,
  runScenario,
  type DemoScenario,
} from "../../scripts/demo/scenario.js";
import {
  incidentReport,
  renderHtml,
  renderMarkdown,
  summarizeIncident,
  type IncidentReport,
} from "../../src/incident/index.js";
import { short } from "../../src/incident/words.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const provider = ethers.provider as unknown as Provider;

const SCREENSHOT = resolve("test-output", "incident-timeline.png");

let work: string;

async function demoScenario(): Promise<DemoScenario> {
  return runScenario(connection, { workDir: work });
}

async function reportOf(s: DemoScenario, version: number): Promise<IncidentReport> {
  return incidentReport({
    provider,
    registry: s.registry,
    anchor: s.anchor,
    settlement: s.settlement,
    actionLog: s.actionLog,
    modelId: s.modelId,
    modelName: DEMO_MODEL,
    version,
    batchDirs: s.batchDirs,
    labels: s.labels,
  });
}

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

/** The Markdown from heading `## <title…>` to the next heading. */
function section(md: string, title: string): string {
  const start = md.indexOf(`\n## ${title}`);
  expect(start, `section "${title}"`).to.be.greaterThan(-1);
  const end = md.indexOf("\n## ", start + 1);
  return md.slice(start, end === -1 ? undefined : end);
}

/** A section's table rows: its `|` lines without the header and the separator. */
const tableRows = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.startsWith("| ") && !/^\|( --- \|)+$/.test(l))
    .slice(1);

/** A row's cells, split on the `|` that are not escaped. */
const cells = (row: string) => row.slice(2, -2).split(/(?<!\\) \| /);

function expectNoJunk(text: string) {
  expect(text).to.not.match(/undefined|NaN|\[object Object\]|Infinity/);
}

/** Every coordinate and size attribute of the SVG is a finite number. */
function expectFiniteCoordinates(html: string) {
  const values = [...html.matchAll(/\s(?:x|y|x1|x2|y1|y2|cx|cy|r|width|height)="([^"]*)"/g)];
  expect(values.length).to.be.greaterThan(20);
  for (const [attr, value] of values) expect(Number.isFinite(Number(value)), attr).to.equal(true);
}

/** Nothing on the page is fetched: no script, stylesheet, image, frame or import. */
function expectSelfContained(html: string) {
  expect(html).to.not.match(/<script|<link|<img|<iframe|<object|<embed|@import|url\(/i);
  expect(html).to.not.match(/\s(?:src|href|srcset|action)\s*=/i);
  // The one URL on the page is the SVG's namespace, which is a name, not a fetch.
  const urls = html.match(/https?:\/\/[^\s"'<>]*/g) ?? [];
  expect([...new Set(urls)]).to.deep.equal(["http://www.w3.org/2000/svg"]);
}

/** How many of the report's items have each value of `key`. */
function tally<T>(items: T[], key: (t: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const i of items) out.set(key(i), (out.get(key(i)) ?? 0) + 1);
  return out;
}

function expectTimelineMarks(html: string, report: IncidentReport) {
  expect(count(html, /<rect class="window"/g)).to.equal(report.windows.length);
  expect(count(html, /class="incident"/g)).to.equal(report.incidents.length);
  expect(count(html, /<line class="batch"/g)).to.equal(report.batches.length);
  for (const [status, n] of tally(report.batches, (b) => b.evidence.status)) {
    expect(count(html, new RegExp(`class="batch" data-status="${status}"`, "g")), status).to.equal(
      n,
    );
  }
  for (const [state, n] of tally(report.payments, (p) => p.state)) {
    expect(count(html, new RegExp(`class="payment" data-state="${state}"`, "g")), state).to.equal(
      n,
    );
  }
  for (const [served, n] of tally(report.records.items, (r) => r.served)) {
    expect(count(html, new RegExp(`class="record" data-served="${served}"`, "g")), served).to.equal(
      n,
    );
  }
  const nodes = new Set(report.batches.map((b) => b.node));
  expect(count(html, /class="node-row"/g)).to.equal(nodes.size);
}

/** `chromium` or `chromium-browser` on PATH; the test fails (never skips) without one. */
function chromium(): string {
  const found = spawnSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], {
    encoding: "utf8",
  });
  if (found.status !== 0 || found.stdout.trim() === "") {
    expect.fail(
      "headless Chromium is needed to render the incident page, and neither `chromium` nor " +
        "`chromium-browser` is on PATH: install it with `apt-get install -y chromium`",
    );
  }
  return found.stdout.trim().split("\n")[0];
}

function runChromium(bin: string, args: string[]) {
  const profile = mkdtempSync(join(work, "chromium-"));
  const run = spawnSync(
    bin,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { encoding: "utf8", timeout: 45_000, maxBuffer: 64 * 1024 * 1024 },
  );
  expect(run.error, String(run.error)).to.equal(undefined);
  expect(run.status, run.stderr).to.equal(0);
  return run;
}

describe("incident report renderers: Markdown and HTML for the dossier", function () {
  before(function () {
    work = mkdtempSync(join(tmpdir(), "incident-render-"));
  });
  after(async function () {
    rmSync(work, { recursive: true, force: true });
    await connection.close();
  });

  it("Markdown of the demo's v2: summary, the missing batch first, one row per item", async function () {
    const s = await networkHelpers.loadFixture(demoScenario);
    const report = await reportOf(s, 2);
    const md = renderMarkdown(report);
    expectNoJunk(md);
    expect(md.startsWith(`# Incident report: ${DEMO_MODEL}, version 2\n`)).to.equal(true);
    expect(md).to.include(summarizeIncident(report, { labels: report.labels }));
    // The demo withholds node B's B2: the problems come right after the summary, before any table.
    const problems = section(md, "Evidence problems");
    expect(md.indexOf("## Summary")).to.be.lessThan(md.indexOf("## Evidence problems"));
    expect(md.indexOf("## Evidence problems")).to.be.lessThan(md.indexOf("## Windows"));
    expect(problems).to.include("**missing-batch (node B)**").and.include(s.batches.B2.root);
    const windows = tableRows(section(md, "Windows of v2"));
    expect(windows).to.have.length(report.windows.length).and.length(1);
    expect(cells(windows[0])).to.deep.equal([
      "2",
      `2031-01-08 10:07:00Z (block ${report.windows[0].startBlock})`,
      `2031-01-11 16:07:00Z (block ${report.windows[0].endBlock})`,
      "3d 6h",
      "Rollback",
      "",
    ]);
    expect(tableRows(section(md, "Incidents"))).to.have.length(1);
    expect(tableRows(section(md, "Incidents"))[0]).to.include("rollback → v1");
    const batches = tableRows(section(md, "Batches bearing on v2"));
    expect(batches).to.have.length(report.batches.length).and.length(5);
    const shown = (root: string) => md.includes(root) || md.includes(short(root));
    expect(report.batches.filter((b) => !shown(b.root))).to.deep.equal([]);
    const b2 = batches.find((r) => r.includes(s.batches.B2.root));
    expect(cells(b2 ?? "| |")[1]).to.equal("node B");
    expect(b2).to.include("MISSING");
    expect(tableRows(section(md, "Payments bound to v2"))).to.have.length(5);
    expect(tableRows(section(md, "Records claiming v2"))).to.have.length(report.records.total);
    expect(md).to.not.include("records.jsonl");
    expect(tableRows(section(md, "After the rollback"))[1]).to.match(
      /^\| Stale records \(claiming v2\) \| 3 \| AT LEAST: 1 batch/,
    );
  });

  it("Markdown of v1: two windows, the open one says so", async function () {
    const s = await networkHelpers.loadFixture(demoScenario);
    const report = await reportOf(s, 1);
    const md = renderMarkdown(report);
    expectNoJunk(md);
    const windows = tableRows(section(md, "Windows of v1"));
    expect(windows.map((r) => cells(r)[0])).to.deep.equal(["1", "3"]);
    expect(cells(windows[1]).slice(2)).to.deep.equal(["open", "—", "—", "OPEN"]);
    expect(section(md, "After its window closed")).to.include("None yet: v1 is live.");
  });

  it("escapes cells and text from the chain, and caps the records table at 200 rows", async function () {
    const s = await networkHelpers.loadFixture(demoScenario);
    const report = structuredClone(await reportOf(s, 2));
    report.incidents[0].reasonURI = "ipfs://x|y\nz <b>bold</b> &amp;";
    report.labels = { ...report.labels, [s.nodeB.address]: `B "&'<>|` };
    const one = report.records.items[0];
    report.records.items = Array.from({ length: 250 }, (_, i) => ({ ...one, index: i }));
    report.records.total = 300;
    const md = renderMarkdown(report);
    const incident = tableRows(section(md, "Incidents"))[0];
    expect(cells(incident)).to.have.length(8);
    expect(cells(incident)[6]).to.equal(
      `ipfs://x\\|y<br>z &lt;b&gt;bold&lt;/b&gt; &amp;amp; (${short(report.incidents[0].reasonHash)})`,
    );
    expect(md).to.not.include("<b>");
    const records = section(md, "Records claiming v2");
    expect(tableRows(records)).to.have.length(200);
    expect(records).to.include("The first 200 of 300 records: 100 more records in records.jsonl.");
    const html = renderHtml(report);
    expect(html).to.not.include("<b>bold");
    expect(html).to.include("ipfs://x|y<br>z &lt;b&gt;bold&lt;/b&gt; &amp;amp;");
    expect(html).to.include(`>B &quot;&amp;&#39;&lt;&gt;|</text>`);
    expect(count(html, /class="record" data-served=/g)).to.equal(250);
    expectFiniteCoordinates(html);
  });

  it("HTML of the demo's v2: self-contained, one timeline mark per window, incident, batch, payment, record", async function () {
    const s = await networkHelpers.loadFixture(demoScenario);
    const report = await reportOf(s, 2);
    const html = renderHtml(report);
    expectNoJunk(html);
    expectSelfContained(html);
    expectFiniteCoordinates(html);
    expectTimelineMarks(html, report);
    expect(count(html, /class="batch" data-status="missing"/g)).to.equal(1);
    expect(count(html, /class="record" data-served="after-close"/g)).to.equal(3);
    expect(html).to.include(`<g class="incident" data-id="1">`).and.include("#1 rollback → v1");
    expect(html).to.include(`<g class="close">`);
    expect(html).to.include(`data-node="${s.nodeB.address}"`).and.include(">node B</text>");
    // The summary first, the problems in their red box, then the timeline.
    const summary = html.indexOf(`<p class="summary">`);
    const problems = html.indexOf(`<section class="problems"`);
    expect(summary).to.be.greaterThan(-1);
    expect(problems).to.be.greaterThan(summary).and.lessThan(html.indexOf("<svg"));
    expect(html).to.include(s.batches.B2.root);
    // The crowded hours around the close again, close up: with marks of their own class.
    expect(count(html, /<svg[^>]*class="timeline closeup-timeline"/g)).to.equal(1);
    expect(count(html, /class="closeup-incident"/g)).to.equal(1);
    expect(count(html, /class="closeup-record" data-served="after-close"/g)).to.equal(3);
    expect(count(html, /class="closeup-batch"/g)).to.equal(3);
  });

  it("a version never made live (v3), and a window that opened and closed at one instant, render without NaN", async function () {
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
    const report = await reportOf(s, 3);
    expect(report.windows).to.deep.equal([]);
    const md = renderMarkdown(report);
    expectNoJunk(md);
    expect(section(md, "Windows of v3")).to.include("v3 was never made live.");
    expect(tableRows(section(md, "Windows of v3"))).to.deep.equal([]);
    const html = renderHtml(report);
    expectNoJunk(html);
    expectSelfContained(html);
    expectFiniteCoordinates(html);
    expectTimelineMarks(html, report);
    expect(html).to.not.include("closeup-");
    // Every time the same instant: the axis still has a width, the window a thin line.
    const t = report.readAt.time;
    const instant = structuredClone(report);
    instant.versionRecord.registeredAt = t;
    instant.windows = [
      {
        epoch: 4,
        startTime: t,
        startBlock: 94,
        endTime: t,
        endBlock: 94,
        endReason: "Rollback",
        neverLive: true,
        duration: 0,
      },
    ];
    const drawn = renderHtml(instant);
    expectNoJunk(drawn);
    expectFiniteCoordinates(drawn);
    expect(drawn).to.match(
      /<rect class="window" data-epoch="4" data-never-live="true" x="[\d.]+" y="[\d.]+" width="2"/,
    );
    expect(renderMarkdown(instant)).to.include("NEVER LIVE");
  });

  it("renders in headless Chromium: the DOM has the timeline, the console no error, a screenshot", async function () {
    this.timeout(60_000);
    const bin = chromium();
    const s = await networkHelpers.loadFixture(demoScenario);
    const report = await reportOf(s, 2);
    const page = join(work, "incident.html");
    writeFileSync(page, renderHtml(report));
    const url = pathToFileURL(page).href;
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    rmSync(SCREENSHOT, { force: true });

    const shot = runChromium(bin, [
      "--enable-logging=stderr",
      "--v=0",
      `--screenshot=${SCREENSHOT}`,
      "--window-size=1200,1400",
      url,
    ]);
    const consoleErrors = shot.stderr
      .split("\n")
      .filter((l) => /CONSOLE.*(error|Uncaught)|Refused to/i.test(l));
    expect(consoleErrors).to.deep.equal([]);
    expect(existsSync(SCREENSHOT)).to.equal(true);
    const png = readFileSync(SCREENSHOT);
    expect(png.subarray(0, 8).toString("hex")).to.equal("89504e470d0a1a0a");
    expect(png.length).to.be.greaterThan(10 * 1024);

    const dom = runChromium(bin, ["--dump-dom", url]).stdout;
    expect(count(dom, /<svg[^>]*class="timeline"/g)).to.equal(1);
    expect(count(dom, /<rect[^>]*class="window"/g)).to.equal(report.windows.length);
    expect(count(dom, /<g[^>]*class="incident"/g)).to.equal(report.incidents.length);
    expect(count(dom, /<line[^>]*class="batch"/g)).to.equal(report.batches.length);
    expect(dom).to.include("Evidence problems");
  });
});
