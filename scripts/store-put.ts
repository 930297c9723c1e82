/**
 * npm run store:put -- --file PATH [--store DIR]
 *
 * Publishes a canonical batch file (a batch directory's batch.jsonl) into a content-addressed
 * store (default TRAIL_STORE or .trail/store in the package root): checked first, so that a
 * store only holds files that read back as batches. Prints the file's reference (its SHA-256,
 * the fileRef anchored on-chain), then a line with its raw CIDv1 and where it was stored: the
 * file `<store>/sha256/<hex>` can be copied as is to a web server, and the CID is what
 * `ipfs block put --cid-codec raw --mhtype sha2-256` gives it. Exit 0 on success, 1 on any error.
 */
import { readFileSync } from "node:fs";

import {
  describeFsError,
  fail,
  main,
  parseCliArgs,
  requireOption,
  userPath,
} from "../src/ground/cli.js";
import { ContentStore, cidOfRef, defaultStoreDir } from "../src/store/index.js";
import { BatchFileError, parseBatchFile } from "../src/records/batch-file.js";

const NAME = "store:put";
const USAGE = "npm run store:put -- --file PATH [--store DIR]";

main(NAME, async () => {
  const args = parseCliArgs(
    { file: { type: "string" }, store: { type: "string" }, help: { type: "boolean", short: "h" } },
    USAGE,
  );
  if (args.help) {
    process.stdout.write(`usage: ${USAGE}\n`);
    return;
  }
  const file = requireOption(args.file, "--file", USAGE);
  const store = new ContentStore(
    args.store !== undefined ? userPath(args.store, NAME) : defaultStoreDir(),
  );
  let bytes: Buffer;
  try {
    bytes = readFileSync(userPath(file, NAME));
  } catch (e) {
    fail(`cannot read ${file}: ${describeFsError(e)}`);
  }
  let count: number;
  try {
    count = parseBatchFile(bytes, file).count;
  } catch (e) {
    if (e instanceof BatchFileError) fail(`${e.message}; nothing was stored`);
    throw e;
  }
  const ref = store.put(bytes);
  process.stdout.write(
    `${ref}\n` +
      `${NAME}: ${file} (${count} records, ${bytes.length} bytes) -> ${store.pathOf(ref)} ` +
      `(CID ${cidOfRef(ref)})\n`,
  );
});
