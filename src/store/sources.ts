/**
 * Where a batch file can be fetched from by its reference: a content-addressed folder (`dir:PATH`)
 * or an HTTP URL template (`https://host/…{ref}` or `…{cid}`, e.g. an IPFS gateway's
 * `https://gateway/ipfs/{cid}`). A source only fetches; whether the bytes are the ones named is
 * checked by obtainByRef, so a source never needs to be trusted.
 */
import { readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";

import { describeFsError, fail } from "../ground/cli.js";
import { HttpSource } from "./http-source.js";
import { type Ref, refHex } from "./ref.js";

/** What a source answered for one reference (after its own retries). */
export type FetchResult =
  | { kind: "found"; bytes: Uint8Array }
  | { kind: "not-found" }
  /** It holds something under that name, larger than the caller's limit: not read. */
  | { kind: "too-large"; message: string }
  /** After retries; `message` is one line naming the source's file or URL. */
  | { kind: "error"; message: string };

/** A place to fetch batch files from by reference. */
export interface BatchSource {
  /** How the source is named in reports (its spec, as parseSource took it). */
  readonly label: string;
  /** The bytes it holds under `ref`, at most `maxBytes`; failures are answers, not exceptions. */
  fetch(ref: Ref, maxBytes: number): Promise<FetchResult>;
}

/** A content-addressed folder as a source: reads `<root>/sha256/<hex>` as it is. */
export class DirSource implements BatchSource {
  readonly root: string;
  constructor(
    root: string,
    readonly label: string = `dir:${root}`,
  ) {
    this.root = resolve(root);
  }

  async fetch(ref: Ref, maxBytes: number): Promise<FetchResult> {
    const path = join(this.root, "sha256", refHex(ref));
    try {
      const info = await stat(path);
      if (!info.isFile()) return { kind: "error", message: `${path} is not a file` };
      if (info.size > maxBytes) {
        return { kind: "too-large", message: `${path} has ${info.size} bytes, over ${maxBytes}` };
      }
      return { kind: "found", bytes: new Uint8Array(await readFile(path)) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return { kind: "not-found" };
      return { kind: "error", message: `cannot read ${path}: ${describeFsError(e)}` };
    }
  }
}

const ACCEPTED =
  "dir:PATH (a folder holding PATH/sha256/<hex>), or an http:// or https:// URL containing " +
  "{ref} (64 hex digits) or {cid} (a raw CIDv1), e.g. https://gateway/ipfs/{cid}";

/**
 * A source from its spec: `dir:PATH` (relative to the current directory) or an http(s) URL
 * template containing `{ref}` (the 64 hex digits, no 0x) and/or `{cid}` (the raw CIDv1).
 * @throws CliError naming the accepted forms for anything else.
 */
export function parseSource(spec: string): BatchSource {
  if (typeof spec !== "string" || spec.trim() === "") fail(`empty batch source: use ${ACCEPTED}`);
  if (spec.startsWith("dir:")) {
    const path = spec.slice(4);
    if (path === "") fail(`batch source ${spec} names no folder: use ${ACCEPTED}`);
    return new DirSource(path, spec);
  }
  if (/^https?:\/\//i.test(spec)) {
    if (!spec.includes("{ref}") && !spec.includes("{cid}")) {
      fail(`batch source ${spec} contains neither {ref} nor {cid}: use ${ACCEPTED}`);
    }
    return new HttpSource(spec);
  }
  fail(`batch source ${spec} is not one of: ${ACCEPTED}`);
}
