/**
 * npm run batch:build -- --in records.jsonl --out DIR
 *
 * Builds the Merkle tree of a batch of inference records (JSON Lines, one record per line, blank
 * lines ignored; all of one model) and writes DIR: batch.json (root, count, modelId, servedAt
 * range, ...), proofs.jsonl (each record with its leaf and proof, in input order) and, for batches
 * of at most 2^17 records, tree.json (the @openzeppelin/merkle-tree StandardMerkleTree dump).
 * Prints the root, then a one-line summary.
 *
 * Any bad line, or a mixed modelId, fails with one line naming the line number, and nothing is
 * written. DIR must not exist or be empty. Exit code 0 on success, 1 on any error.
 */
import { buildBatch } from "./lib/batch.js";
import { main, parseCliArgs, requireOption, userPath } from "./lib/cli.js";

const NAME = "batch:build";
const USAGE = "npm run batch:build -- --in records.jsonl --out DIR";

main(NAME, async () => {
  const args = parseCliArgs(
    { in: { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" } },
    USAGE,
  );
  if (args.help) {
    process.stdout.write(`usage: ${USAGE}\n`);
    return;
  }
  const input = requireOption(args.in, "--in", USAGE);
  const out = requireOption(args.out, "--out", USAGE);
  const started = performance.now();
  const batch = await buildBatch(userPath(input, NAME), userPath(out, NAME), { in: input, out });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const files = ["batch.json", batch.files.proofs, ...(batch.files.tree ? [batch.files.tree] : [])];
  process.stdout.write(
    `${batch.root}\n` +
      `${NAME}: ${batch.count} records of model ${batch.modelId}, servedAt ` +
      `${batch.firstServedAt}..${batch.lastServedAt}, root ${batch.root} -> ${out}/ ` +
      `(${files.join(", ")}) in ${seconds} s\n`,
  );
});
