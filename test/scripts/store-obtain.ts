import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { HttpSource } from "../../src/store/http-source.js";
import {
  ContentStore,
  cidOfRef,
  obtainByRef,
  parseSource,
  refHex,
  refOfCid,
  sha256Ref,
} from "../../src/store/index.js";
import { type TestServer, serve, serveAt } from "../helpers/http-server.js";

/** Retries a few milliseconds apart: the tests need not wait the default 1.4 s. */
const FAST = { retryDelaysMs: [5, 10, 20] };
const MAX = 1 << 20;
const sha256 = (bytes: Uint8Array) => "0x" + createHash("sha256").update(bytes).digest("hex");

describe("obtainByRef: batch files from untrusted sources (src/store)", function () {
  this.timeout(30_000);

  let work: string;
  const servers: TestServer[] = [];
  beforeEach(function () {
    work = mkdtempSync(join(tmpdir(), "store-obtain-test-"));
  });
  afterEach(async function () {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    rmSync(work, { recursive: true, force: true });
  });
  async function started(server: Promise<TestServer>): Promise<TestServer> {
    const s = await server;
    servers.push(s);
    return s;
  }

  const bytes = Buffer.from('{"a batch":"of records"}\n');
  const ref = sha256Ref(bytes);

  it("obtains verified bytes from an HTTP source, caches them, then serves them from the cache", async function () {
    const server = await started(serveAt(ref, bytes));
    const cache = new ContentStore(join(work, "cache"));
    const source = parseSource(`${server.base}/{ref}`);
    const got = await obtainByRef(ref, [source], { cache, maxBytes: MAX });
    expect(got.status).to.equal("obtained");
    if (got.status !== "obtained") return;
    expect(Buffer.from(got.bytes).equals(bytes)).to.equal(true);
    expect(got.from).to.equal(`${server.base}/{ref}`);
    expect(got.attempts).to.deep.equal([
      { source: "cache", outcome: "not-found" },
      { source: `${server.base}/{ref}`, outcome: "found" },
    ]);
    expect(cache.has(ref)).to.equal(true);

    await server.close();
    const again = await obtainByRef(ref, [source], { cache, maxBytes: MAX });
    expect(again.status).to.equal("obtained");
    expect(again.status === "obtained" && again.from).to.equal("cache");
    expect(again.attempts).to.deep.equal([{ source: "cache", outcome: "found" }]);
  });

  it("reports altered bytes with their sha256, never returns nor caches them, and goes on to the next source", async function () {
    const altered = Buffer.from('{"a batch":"of recordz"}\n');
    const bad = await started(serveAt(ref, altered));
    const good = await started(serveAt(ref, bytes));
    const cache = new ContentStore(join(work, "cache"));
    const badSource = new HttpSource(`${bad.base}/{ref}`, FAST);

    const only = await obtainByRef(ref, [badSource], { cache, maxBytes: MAX });
    expect(only).to.deep.equal({
      status: "altered",
      attempts: [
        { source: "cache", outcome: "not-found" },
        { source: `${bad.base}/{ref}`, outcome: "altered", detail: sha256(altered) },
      ],
    });
    expect(cache.has(ref)).to.equal(false);
    expect(readdirSync(work)).to.deep.equal([]); // the cache was not even created

    const goodSource = new HttpSource(`${good.base}/{ref}`, FAST);
    const both = await obtainByRef(ref, [badSource, goodSource], { cache, maxBytes: MAX });
    expect(both.status).to.equal("obtained");
    expect(both.status === "obtained" && both.from).to.equal(`${good.base}/{ref}`);
    expect(both.attempts.map((a) => a.outcome)).to.deep.equal(["not-found", "altered", "found"]);
    expect(cache.has(ref)).to.equal(true);
  });

  it("says missing for a 404, and retries a 503 until the 200", async function () {
    const gone = await started(serve((_req, res) => res.writeHead(404).end()));
    const missing = await obtainByRef(ref, [new HttpSource(`${gone.base}/{ref}`, FAST)], {
      maxBytes: MAX,
    });
    expect(missing).to.deep.equal({
      status: "missing",
      attempts: [{ source: `${gone.base}/{ref}`, outcome: "not-found" }],
    });
    expect(gone.paths).to.have.length(1); // a 404 is not retried

    let calls = 0;
    const flaky = await started(
      serve((_req, res) => (++calls <= 2 ? res.writeHead(503).end("busy") : res.end(bytes))),
    );
    // parseSource's own source: the default backoff (200 ms, then 400 ms).
    const got = await obtainByRef(ref, [parseSource(`${flaky.base}/{ref}`)], { maxBytes: MAX });
    expect(got.status).to.equal("obtained");
    expect(calls).to.equal(3);
  });

  it("reports an unreachable server after retries, naming the URL", async function () {
    const closed = await serve(() => undefined);
    await closed.close();
    const url = `${closed.base}/{ref}`;
    const got = await obtainByRef(ref, [new HttpSource(url, FAST)], { maxBytes: MAX });
    expect(got.status).to.equal("missing");
    expect(got.attempts).to.have.length(1);
    const [attempt] = got.attempts;
    expect(attempt.outcome).to.equal("error");
    expect(attempt.detail).to.equal(
      `GET ${closed.base}/${refHex(ref)} failed: ECONNREFUSED (4 attempts)`,
    );

    const forbidden = await started(serve((_req, res) => res.writeHead(403).end()));
    const refused = await obtainByRef(ref, [new HttpSource(`${forbidden.base}/{ref}`, FAST)], {
      maxBytes: MAX,
    });
    expect(refused.attempts[0].detail).to.equal(
      `GET ${forbidden.base}/${refHex(ref)} answered HTTP 403`,
    );
    expect(forbidden.paths).to.have.length(1); // other 4xx: not retried
  });

  it("times out a server that does not answer", async function () {
    const silent = await started(serve(() => undefined));
    const source = new HttpSource(`${silent.base}/{ref}`, { timeoutMs: 100, retryDelaysMs: [5] });
    const got = await obtainByRef(ref, [source], { maxBytes: MAX });
    expect(got.attempts[0].detail).to.equal(
      `GET ${silent.base}/${refHex(ref)} timed out after 0.1 s (2 attempts)`,
    );
    expect(silent.paths).to.have.length(2);
  });

  it("refuses a body over maxBytes, by Content-Length or while streaming", async function () {
    const big = randomBytes(5000);
    const bigRef = sha256Ref(big);
    const declared = await started(serveAt(bigRef, big));
    const chunked = await started(
      serve((_req, res) => {
        // No Content-Length: chunks until the client stops reading.
        res.writeHead(200, { "content-type": "application/octet-stream" });
        const timer = setInterval(() => res.write(randomBytes(1000)), 1);
        res.on("close", () => clearInterval(timer));
      }),
    );
    const sources = [declared, chunked].map((s) => new HttpSource(`${s.base}/{ref}`, FAST));
    const got = await obtainByRef(bigRef, sources, { maxBytes: 4096 });
    expect(got.status).to.equal("missing");
    expect(got.attempts.map((a) => [a.outcome, a.detail])).to.deep.equal([
      [
        "too-large",
        `GET ${declared.base}/${bigRef.slice(2)}: the body has 5000 bytes, over the limit of 4096`,
      ],
      [
        "too-large",
        `GET ${chunked.base}/${bigRef.slice(2)}: the body has more than 4096 bytes, over the limit of 4096`,
      ],
    ]);
    const fits = await obtainByRef(bigRef, [sources[0]], { maxBytes: 5000 });
    expect(fits.status).to.equal("obtained");
  });

  it("reads IPFS-style URLs through {cid}", async function () {
    const gateway = await started(
      serve((req, res) => {
        const match = /^\/ipfs\/(b[a-z2-7]+)$/.exec(req.url ?? "");
        if (match !== null && refOfCid(match[1]) === ref) res.end(bytes);
        else res.writeHead(404).end();
      }),
    );
    const got = await obtainByRef(ref, [parseSource(`${gateway.base}/ipfs/{cid}`)], {
      maxBytes: MAX,
    });
    expect(got.status).to.equal("obtained");
    expect(gateway.paths).to.deep.equal([`/ipfs/${cidOfRef(ref)}`]);
  });

  it("reads a dir: source, and reports a tampered file in it or in the cache as altered", async function () {
    const folder = new ContentStore(join(work, "folder"));
    folder.put(bytes);
    const source = parseSource(`dir:${join(work, "folder")}`);
    expect(source.label).to.equal(`dir:${join(work, "folder")}`);
    const got = await obtainByRef(ref, [source], { maxBytes: MAX });
    expect(got.status === "obtained" && got.from).to.equal(source.label);

    const cache = new ContentStore(join(work, "cache"));
    cache.put(bytes);
    writeFileSync(cache.pathOf(ref), "tampered\n");
    writeFileSync(folder.pathOf(ref), "tampered too\n");
    const none = await obtainByRef(ref, [source], { cache, maxBytes: MAX });
    expect(none).to.deep.equal({
      status: "altered",
      attempts: [
        { source: "cache", outcome: "altered", detail: sha256(Buffer.from("tampered\n")) },
        {
          source: source.label,
          outcome: "altered",
          detail: sha256(Buffer.from("tampered too\n")),
        },
      ],
    });

    const empty = parseSource(`dir:${join(work, "nothing-here")}`);
    const missing = await obtainByRef(ref, [empty], { maxBytes: MAX });
    expect(missing.status).to.equal("missing");
    folder.put(bytes); // repaired
    const tooSmall = await obtainByRef(ref, [source], { maxBytes: 3 });
    expect(tooSmall.status).to.equal("missing");
    expect(tooSmall.attempts[0].outcome).to.equal("too-large");
  });
});
