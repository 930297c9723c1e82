/**
 * npm run batch:build -- --in records.jsonl --out DIR [--store DIR | --no-publish]
 *
 * Builds the Merkle tree of a batch of inference records (JSON Lines, one record per line, blank
 * lines ignored; all of one model) and writes DIR: batch.json (root, fileRef, count, modelId,
 * servedAt range, ...), batch.jsonl (the canonical batch file: the records alone, in leaf order;
 * its SHA-256 is the fileRef), proofs.jsonl (each record with its leaf and proof, in input order)
 * and, for batches of at most 2^17 records, tree.json (the @openzeppelin/merkle-tree
 * StandardMerkleTree dump). Then publishes batch.jsonl into the local content-addressed store
 * (--store, default TRAIL_STORE or .trail/store in the package root) unless --no-publish. Prints
 * the root, a one-line summary, then the fileRef and where it was published.
 *
 * Any bad line, or a mixed modelId, fails with one line naming the line number, and nothing is
 * written. DIR must not exist or be empty. A failure to publish is one line too (DIR stays
 * written). Exit code 0 on success, 1 on any error.
 */
import { buildBatch } from "../src/records/batch.js";
import { fail, main, parseCliArgs, requireOption, userPath } from "../src/ground/cli.js";
import { ContentStore, cidOfRef, defaultStoreDir } from "../src/store/index.js";

const NAME = "batch:build";
const USAGE = "npm run batch:build -- --in records.jsonl --out DIR [--store DIR | --no-publish]";

main(NAME, async () => {
  const args = parseCliArgs(
    {
      in: { type: "string" },
      out: { type: "string" },
      store: { type: "string" },
      "no-publish": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    USAGE,
  );
  if (args.help) {
    process.stdout.write(`usage: ${USAGE}\n`);
    return;
  }
  const input = requireOption(args.in, "--in", USAGE);
  const out = requireOption(args.out, "--out", USAGE);
  if (args.store !== undefined && args["no-publish"]) {
    fail(`--store and --no-publish exclude each other (usage: ${USAGE})`);
  }
  let store: ContentStore | undefined;
  let storeName: string | undefined;
  if (!args["no-publish"]) {
    store = new ContentStore(
      args.store !== undefined ? userPath(args.store, NAME) : defaultStoreDir(),
    );
    storeName = args.store ?? store.root;
  }
  const started = performance.now();
  const batch = await buildBatch(
    userPath(input, NAME),
    userPath(out, NAME),
    { in: input, out, store: storeName },
    { store },
  );
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const files = [
    "batch.json",
    batch.files.batch,
    batch.files.proofs,
    ...(batch.files.tree ? [batch.files.tree] : []),
  ];
  const where =
    store === undefined
      ? "not published (--no-publish)"
      : `published to ${store.pathOf(batch.fileRef)}`;
  process.stdout.write(
    `${batch.root}\n` +
      `${NAME}: ${batch.count} records of model ${batch.modelId}, servedAt ` +
      `${batch.firstServedAt}..${batch.lastServedAt}, root ${batch.root} -> ${out}/ ` +
      `(${files.join(", ")}) in ${seconds} s\n` +
      `${NAME}: file ref ${batch.fileRef} (CID ${cidOfRef(batch.fileRef)}), ${where}\n`,
  );
});
