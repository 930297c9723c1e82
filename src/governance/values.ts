/**
 * Values the command lines take, parsed without Hardhat: a model (`--model`: a 0x id, or a name
 * whose id is keccak256(utf8(name)), as the README's model ids are made) and a duration.
 */
import { hexlify, id, isHexString } from "ethers";

import { fail } from "../ground/cli.js";

/** A model as given on the command line. */
export interface ModelRef {
  id: string;
  /** The name the id was derived from, if a name was given. */
  name?: string;
}

/**
 * A model id from `--model`: 0x + 64 hex digits as is, anything else as a name hashed with
 * keccak256(utf8(name)).
 */
export function parseModelId(value: string): ModelRef {
  if (value === "") fail("--model is empty");
  if (/^0x/i.test(value)) {
    if (!isHexString(value, 32)) {
      fail(
        `--model ${value}: a 0x id must be 32 bytes (64 hex digits); names may not start with 0x`,
      );
    }
    return { id: hexlify(value) };
  }
  return { id: id(value), name: value };
}

const UNIT_SECONDS: Record<string, bigint> = { s: 1n, m: 60n, h: 3600n, d: 86400n };

/** Seconds from `86400`, `90s`, `30m`, `24h` or `3d`, as a uint32. */
export function parseDuration(raw: string, flag: string): bigint {
  const match = /^(\d+)([smhd]?)$/.exec(raw);
  if (match === null) fail(`--${flag} must be seconds or a number with s, m, h or d, got ${raw}`);
  const seconds = BigInt(match[1]) * (UNIT_SECONDS[match[2]] ?? 1n);
  if (seconds >= 1n << 32n) fail(`--${flag} ${raw} does not fit in uint32 seconds`);
  return seconds;
}
