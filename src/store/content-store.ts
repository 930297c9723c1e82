/**
 * A content-addressed folder: the file of reference 0x<hex> is `<root>/sha256/<hex>`. What a
 * folder holds is only ever trusted after hashing it again, so a store can be copied around (rsync,
 * a web server's document root, a USB stick) and a damaged or edited file is never taken for the
 * batch it claims to be.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  createReadStream,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { join, resolve } from "node:path";

import { CliError, describeFsError, fail } from "../ground/cli.js";
import { type Ref, refHex, sha256Ref } from "./ref.js";

/** The folder under a store's root that holds the files, by the hex of their SHA-256. */
const HASH_DIR = "sha256";

/**
 * The local store: the environment variable TRAIL_STORE if set (relative to the current
 * directory), else `.trail/store` under the current directory (under `npm run`: the package root).
 */
export function defaultStoreDir(): string {
  const fromEnv = process.env.TRAIL_STORE;
  return resolve(fromEnv !== undefined && fromEnv !== "" ? fromEnv : join(".trail", "store"));
}

/** A content-addressed folder (see the module comment). Failures are one-line CliErrors. */
export class ContentStore {
  /** The store's folder, absolute. */
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Where the file of `ref` is (or would be) kept. */
  pathOf(ref: Ref): string {
    return join(this.root, HASH_DIR, refHex(ref));
  }

  /** Whether the store holds the bytes of `ref` intact (hashes the file: costs a read). */
  has(ref: Ref): boolean {
    const path = this.pathOf(ref);
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (e) {
      if (isAbsent(e)) return false;
      fail(`cannot read ${path}: ${describeFsError(e)}`);
    }
    // In slices: a batch file of 10^6 records is ~650 MB, no reason to hold it.
    try {
      const hash = createHash("sha256");
      const buf = Buffer.allocUnsafe(1 << 20);
      for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) hash.update(buf.subarray(0, n));
      return "0x" + hash.digest("hex") === this.refOf(ref);
    } catch (e) {
      fail(`cannot read ${path}: ${describeFsError(e)}`);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * The bytes of `ref`, hashed again: undefined if the store does not hold them, or holds a file
   * whose bytes no longer hash to `ref` (damaged or edited: such a file is never returned).
   */
  get(ref: Ref): Uint8Array | undefined {
    const path = this.pathOf(ref);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      if (isAbsent(e)) return undefined;
      fail(`cannot read ${path}: ${describeFsError(e)}`);
    }
    return sha256Ref(bytes) === this.refOf(ref) ? new Uint8Array(bytes) : undefined;
  }

  /**
   * Stores `bytes` under their reference and returns it. Atomic (a temporary file renamed into
   * place) and idempotent: bytes already held intact are not written again; a damaged file under
   * that name is replaced.
   */
  put(bytes: Uint8Array): Ref {
    const ref = sha256Ref(bytes);
    if (this.get(ref) !== undefined) return ref;
    const tmp = this.tempPath();
    try {
      const fd = openSync(tmp, "wx");
      try {
        for (let done = 0; done < bytes.length;) {
          done += writeSync(fd, bytes, done, bytes.length - done);
        }
        fsyncSync(fd); // the rename must not be on disk before the bytes are
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.pathOf(ref));
    } catch (e) {
      rmSync(tmp, { force: true });
      fail(`cannot write to the store ${this.root}: ${describeFsError(e)}`);
    }
    return ref;
  }

  /**
   * Stores the file at `path` (streamed and hashed as it is copied: any size) and returns its
   * reference. Atomic like put.
   */
  async putFile(path: string): Promise<Ref> {
    const tmp = this.tempPath();
    const hash = createHash("sha256");
    try {
      const out = await open(tmp, "wx");
      try {
        for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
          const data = chunk as Buffer;
          hash.update(data);
          for (let done = 0; done < data.length;) {
            done += (await out.write(data, done, data.length - done)).bytesWritten;
          }
        }
        await out.sync();
      } finally {
        await out.close();
      }
      const ref = "0x" + hash.digest("hex");
      renameSync(tmp, this.pathOf(ref));
      return ref;
    } catch (e) {
      rmSync(tmp, { force: true });
      if (e instanceof CliError) throw e;
      // Errors of the read stream carry its path; those of the store, the store's paths.
      if ((e as NodeJS.ErrnoException).path === path) {
        fail(`cannot read ${path}: ${describeFsError(e)}`);
      }
      fail(`cannot write to the store ${this.root}: ${describeFsError(e)}`);
    }
  }

  private refOf(ref: Ref): Ref {
    return "0x" + refHex(ref);
  }

  /** A new temporary name beside the files (same file system: the rename is atomic). */
  private tempPath(): string {
    const dir = join(this.root, HASH_DIR);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      fail(`cannot write to the store ${this.root}: ${describeFsError(e)}`);
    }
    // A leading dot: never mistaken for a stored file (those are 64 hex digits).
    return join(dir, `.incoming-${process.pid}-${randomBytes(6).toString("hex")}`);
  }
}

function isAbsent(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}
