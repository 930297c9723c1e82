import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { randomRecords } from "../../scripts/bench/records.js";
import { CliError } from "../../src/ground/cli.js";
import {
  ContentStore,
  cidOfRef,
  defaultStoreDir,
  parseSource,
  refHex,
  refOfCid,
  sha256Ref,
} from "../../src/store/index.js";
import { BatchFileError, parseBatchFile } from "../../src/records/batch-file.js";
import { expectOneLineError, runScript } from "../helpers/cli-run.js";

describe("content addressing of batch files (src/store)", function () {
  this.timeout(30_000);

  let work: string;
  beforeEach(function () {
    work = mkdtempSync(join(tmpdir(), "store-test-"));
  });
  afterEach(function () {
    rmSync(work, { recursive: true, force: true });
  });

  describe("references and CIDs", function () {
    it("names bytes by their SHA-256, and as a raw CIDv1 (known vector of empty bytes)", function () {
      const empty = sha256Ref(new Uint8Array());
      expect(empty).to.equal("0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
      expect(cidOfRef(empty)).to.equal(
        "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
      );
      expect(refOfCid("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")).to.equal(
        empty,
      );
      for (let i = 0; i < 50; i++) {
        const ref = sha256Ref(randomBytes(i * 7));
        expect(refOfCid(cidOfRef(ref))).to.equal(ref);
        expect(cidOfRef(ref)).to.match(/^bafkrei[a-z2-7]{52}$/);
      }
      expect(refHex(empty.toUpperCase().replace("0X", "0x"))).to.equal(empty.slice(2));
    });

    it("refuses malformed references and every CID but a raw sha2-256 CIDv1 in base32", function () {
      for (const bad of ["", "0x12", "e3b0".repeat(16), "0x" + "g".repeat(64)]) {
        expect(() => refHex(bad)).to.throw(CliError, /^not a file reference \(0x followed by 64/);
      }
      const cases: [string, RegExp][] = [
        ["QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", /a CIDv0/],
        ["bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi", /dag-pb \(UnixFS\)/],
        ["BAFKREIHDWDCEFGH4DQKJV67UZCMW7OJEE6XEDZDETOJUZJEVTENXQUVYKU", /start with b/],
        ["bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk", /wrong length/],
        ["bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvykv", /stray bits/],
        ["bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk1", /not lowercase base32/],
      ];
      for (const [cid, why] of cases) {
        expect(() => refOfCid(cid), cid).to.throw(CliError, /^not a raw sha2-256 CIDv1/);
        expect(() => refOfCid(cid), cid).to.throw(why);
      }
    });
  });

  describe("ContentStore (a content-addressed folder)", function () {
    it("puts, gets and has bytes under <root>/sha256/<hex>, idempotently and atomically", async function () {
      const store = new ContentStore(join(work, "s"));
      const bytes = randomBytes(3000);
      const ref = sha256Ref(bytes);
      expect(store.has(ref)).to.equal(false);
      expect(store.get(ref)).to.equal(undefined);
      expect(store.put(bytes)).to.equal(ref);
      expect(store.pathOf(ref)).to.equal(join(work, "s/sha256", ref.slice(2)));
      expect(readFileSync(store.pathOf(ref)).equals(bytes)).to.equal(true);
      expect(store.has(ref)).to.equal(true);
      expect(Buffer.from(store.get(ref) as Uint8Array).equals(bytes)).to.equal(true);

      const before = statSync(store.pathOf(ref));
      expect(store.put(bytes)).to.equal(ref);
      expect(statSync(store.pathOf(ref)).ino).to.equal(before.ino); // not written again
      // No temporary files left behind.
      expect(readdirSync(join(work, "s/sha256"))).to.deep.equal([ref.slice(2)]);

      const file = join(work, "big.bin");
      const big = randomBytes(3 << 20); // several read chunks
      writeFileSync(file, big);
      const bigRef = await store.putFile(file);
      expect(bigRef).to.equal("0x" + createHash("sha256").update(big).digest("hex"));
      expect(store.has(bigRef)).to.equal(true);
      expect(readdirSync(join(work, "s/sha256")).sort()).to.deep.equal(
        [ref.slice(2), bigRef.slice(2)].sort(),
      );
      await expectRejects(store.putFile(join(work, "nope")), /^cannot read .*nope: no such file/);
    });

    it("never returns a tampered file, and put replaces it", function () {
      const store = new ContentStore(join(work, "s"));
      const bytes = Buffer.from("the records\n");
      const ref = store.put(bytes);
      writeFileSync(store.pathOf(ref), "the recordz\n");
      expect(store.has(ref)).to.equal(false);
      expect(store.get(ref)).to.equal(undefined);
      store.put(bytes);
      expect(store.has(ref)).to.equal(true);
    });

    it("reports a store it cannot write in one line", function () {
      writeFileSync(join(work, "file"), "x");
      const store = new ContentStore(join(work, "file"));
      expect(() => store.put(Buffer.from("a"))).to.throw(
        CliError,
        /^cannot write to the store .*file: a parent is not a directory$/,
      );
    });

    it("defaults to TRAIL_STORE, else .trail/store under the current directory", function () {
      const saved = process.env.TRAIL_STORE;
      try {
        process.env.TRAIL_STORE = join(work, "elsewhere");
        expect(defaultStoreDir()).to.equal(join(work, "elsewhere"));
        delete process.env.TRAIL_STORE;
        expect(defaultStoreDir()).to.equal(join(process.cwd(), ".trail/store"));
      } finally {
        if (saved === undefined) delete process.env.TRAIL_STORE;
        else process.env.TRAIL_STORE = saved;
      }
    });
  });

  describe("parseSource", function () {
    it("refuses bad specs, naming the accepted forms", function () {
      const forms = /dir:PATH .* an http:\/\/ or https:\/\/ URL containing \{ref\} .* or \{cid\}/;
      for (const spec of ["", "ftp://host/{ref}", "/some/folder", "ipfs://{cid}", "store"]) {
        expect(() => parseSource(spec), spec).to.throw(CliError, forms);
      }
      expect(() => parseSource("https://host/file.jsonl")).to.throw(
        CliError,
        /^batch source https:\/\/host\/file\.jsonl contains neither \{ref\} nor \{cid\}/,
      );
      expect(() => parseSource("dir:")).to.throw(CliError, /names no folder/);
      expect(() => parseSource("http://[bad/{ref}")).to.throw(CliError, /is not a valid URL$/);
    });
  });

  describe("parseBatchFile", function () {
    const records = randomRecords(5, 7);
    const canonical = () => records.map((r) => JSON.stringify(r) + "\n").join("");

    it("reads a canonical batch file and refuses any other form, naming the line", function () {
      const parsed = parseBatchFile(Buffer.from(canonical()), "f");
      expect(Array.from({ length: parsed.count }, (_, i) => parsed.get(i))).to.deep.equal(records);

      const lines = canonical().split("\n");
      const variant = (i: number, text: string) =>
        Buffer.from(lines.map((l, j) => (j === i ? text : l)).join("\n"));
      const cases: [Buffer, RegExp][] = [
        [Buffer.from(""), /^f: has no records$/],
        [Buffer.from(canonical().slice(0, -1)), /^f line 5: no newline at the end of the file$/],
        [Buffer.from(canonical() + "\n"), /^f line 6: empty line$/],
        [variant(1, "{nope"), /^f line 2: not valid JSON/],
        [
          variant(2, JSON.stringify(records[2], null, 1).replace(/\n/g, "")),
          /^f line 3: not in the canonical form/,
        ],
        [
          variant(3, JSON.stringify({ ...records[3], agent: records[3].agent.toLowerCase() })),
          /^f line 4: not in the canonical form/,
        ],
        [
          variant(0, JSON.stringify({ ...records[0], extra: 1 })),
          /^f line 1: unknown field extra$/,
        ],
        [
          variant(4, JSON.stringify({ ...records[4], modelId: "0x" + "ab".repeat(32) })),
          /^f line 5: modelId 0x(ab){32} differs/,
        ],
        [Buffer.from(canonical().replace(/\n/g, "\r\n")), /^f line 1: not in the canonical form/],
        [Buffer.from("x".repeat(2000) + "\n"), /^f line 1: longer than any record/],
      ];
      for (const [bytes, why] of cases) {
        expect(() => parseBatchFile(bytes, "f"), String(why)).to.throw(BatchFileError, why);
      }
    });
  });

  describe("npm run store:put (scripts/store-put.ts)", function () {
    it("publishes a batch file and prints its reference and CID; refuses anything else", async function () {
      const records = randomRecords(3, 9);
      const text = records.map((r) => JSON.stringify(r) + "\n").join("");
      writeFileSync(join(work, "batch.jsonl"), text);
      writeFileSync(join(work, "other.jsonl"), text.replace(/\n/g, "\r\n"));
      const ref = sha256Ref(Buffer.from(text));
      const run = await runScript("store-put.ts", work, ["--file", "batch.jsonl", "--store", "s"]);
      expect(run.code, run.stderr).to.equal(0);
      const stored = join(work, "s/sha256", ref.slice(2));
      expect(run.stdout).to.equal(
        `${ref}\nstore:put: batch.jsonl (3 records, ${text.length} bytes) -> ${stored} ` +
          `(CID ${cidOfRef(ref)})\n`,
      );
      expect(readFileSync(stored, "utf8")).to.equal(text);

      const [bad, missing, usage] = await Promise.all([
        runScript("store-put.ts", work, ["--file", "other.jsonl", "--store", "s"]),
        runScript("store-put.ts", work, ["--file", "none.jsonl", "--store", "s"]),
        runScript("store-put.ts", work, []),
      ]);
      expectOneLineError(
        bad,
        "store:put",
        /other\.jsonl line 1: not in the canonical form .*; nothing was stored$/,
      );
      expectOneLineError(missing, "store:put", /cannot read none\.jsonl: no such file/);
      expectOneLineError(usage, "store:put", /missing --file \(usage: npm run store:put/);
      expect(readdirSync(join(work, "s/sha256"))).to.deep.equal([ref.slice(2)]);
    });
  });
});

async function expectRejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  expect(error).to.be.instanceOf(CliError);
  expect((error as Error).message).to.match(pattern);
}
