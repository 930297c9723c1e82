/**
 * Reading the chain for the report: event logs in bounded block ranges, block times, token
 * metadata, Safes, and the small helpers the readers share.
 */
import { Contract, type Log, type Provider, toBeHex, zeroPadValue } from "ethers";

import { CliError, oneLine } from "../ground/cli.js";
import { isRevertError } from "../chain/rpc-retry.js";
import { readSafeState } from "../governance/safe.js";
import type { ReportWindow } from "./types.js";

/** How many ids one eth_getLogs topic filter carries. */
const ID_CHUNK = 100;

export function topicOfUint(value: number | bigint): string {
  return zeroPadValue(toBeHex(value), 32);
}

export function num(value: bigint | number): number {
  return Number(value);
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Whether a failed eth_getLogs says the range or the result was too large for the node. */
function isRangeLimit(message: string): boolean {
  return /range|limit|too many|exceed|max(imum)? (block|result)|query returned more/i.test(message);
}

/** A log as eth_getLogs returns it, hex quantities unparsed. */
export interface RawLogEntry {
  topics: string[];
  data: string;
  blockNumber: string;
  transactionHash: string;
  logIndex: string;
}

const byLogOrder = (a: Log, b: Log) => a.blockNumber - b.blockNumber || a.index - b.index;
const byRawOrder = (a: RawLogEntry, b: RawLogEntry) =>
  Number(a.blockNumber) - Number(b.blockNumber) || Number(a.logIndex) - Number(b.logIndex);

/** `topics` with the one at `position` set to each ID_CHUNK of `values` in turn. */
function* topicChunks(
  topics: Array<string | string[] | null>,
  position: number,
  values: string[],
): Generator<Array<string | string[] | null>> {
  for (let i = 0; i < values.length; i += ID_CHUNK) {
    const t = [...topics];
    t[position] = values.slice(i, i + ID_CHUNK);
    yield t;
  }
}

/** Reads logs in [from, to] in ranges of `range` blocks, counting requests. */
export class LogReader {
  requests = 0;
  private readonly times = new Map<number, number>();

  constructor(
    private readonly provider: Provider,
    private readonly from: number,
    private readonly to: number,
    private readonly range: number,
  ) {}

  /**
   * `fetch` over [from, to] in ranges of `range` blocks, counting requests; a failed request is
   * one line (suggesting a smaller --block-range only when the node says the range is too large).
   */
  private async ranged<T>(fetch: (start: number, end: number) => Promise<T[]>): Promise<T[]> {
    const out: T[] = [];
    for (let start = this.from; start <= this.to; start += this.range) {
      const end = Math.min(start + this.range - 1, this.to);
      let chunk: T[];
      try {
        chunk = await fetch(start, end);
      } catch (e) {
        const why = oneLine(e instanceof Error ? e.message : String(e));
        throw new CliError(
          `eth_getLogs for blocks ${start}-${end} failed` +
            (isRangeLimit(why) ? " (the node limits ranges: try a smaller --block-range)" : "") +
            `: ${why}`,
        );
      }
      this.requests++;
      for (const x of chunk) out.push(x);
    }
    return out;
  }

  async logs(address: string, topics: Array<string | string[] | null>): Promise<Log[]> {
    const out = await this.ranged((fromBlock, toBlock) =>
      this.provider.getLogs({ address, topics, fromBlock, toBlock }),
    );
    return out.sort(byLogOrder);
  }

  /**
   * Like `logs`, as the node answers them (plain objects, no ethers Log per entry: lighter for
   * 10^5 logs), when the provider sends raw requests; else through `logs`.
   */
  async rawLogs(address: string, topics: Array<string | string[] | null>): Promise<RawLogEntry[]> {
    const send = (
      this.provider as unknown as { send?: (m: string, p: unknown[]) => Promise<unknown> }
    ).send;
    if (typeof send !== "function") {
      return (await this.logs(address, topics)).map((l) => ({
        topics: [...l.topics],
        data: l.data,
        blockNumber: toBeHex(l.blockNumber),
        transactionHash: l.transactionHash,
        logIndex: toBeHex(l.index),
      }));
    }
    const out = await this.ranged(
      async (start, end) =>
        (await send.call(this.provider, "eth_getLogs", [
          { address, topics, fromBlock: toBeHex(start), toBlock: toBeHex(end) },
        ])) as RawLogEntry[],
    );
    return out.sort(byRawOrder);
  }

  /** `rawLogs` with the topic at `position` one of `values` (queried in chunks). */
  async rawLogsAnyOf(
    address: string,
    topics: Array<string | string[] | null>,
    position: number,
    values: string[],
  ): Promise<RawLogEntry[]> {
    const out: RawLogEntry[] = [];
    for (const t of topicChunks(topics, position, values)) {
      for (const l of await this.rawLogs(address, t)) out.push(l);
    }
    return out.sort(byRawOrder);
  }

  /** Like `logs`, with the topic at `position` one of `values` (queried in chunks). */
  async logsAnyOf(
    address: string,
    topics: Array<string | string[] | null>,
    position: number,
    values: string[],
  ): Promise<Log[]> {
    const out: Log[] = [];
    for (const t of topicChunks(topics, position, values)) {
      for (const l of await this.logs(address, t)) out.push(l);
    }
    return out.sort(byLogOrder);
  }

  async timeOf(block: number): Promise<number> {
    const cached = this.times.get(block);
    if (cached !== undefined) return cached;
    const b = await this.provider.getBlock(block);
    if (b === null) throw new CliError(`block ${block} is not available`);
    this.times.set(block, b.timestamp);
    return b.timestamp;
  }
}

/** Half-open window membership: [start, end), end null = still open. */
export function inWindow(t: number, w: ReportWindow): boolean {
  return !w.neverLive && t >= w.startTime && (w.endTime === null || t < w.endTime);
}

export function inAnyWindow(t: number, windows: ReportWindow[]): boolean {
  return windows.some((w) => inWindow(t, w));
}

/** Whether the closed range [first, last] overlaps a window. */
export function overlapsWindow(first: number, last: number, windows: ReportWindow[]): boolean {
  return windows.some(
    (w) => !w.neverLive && last >= w.startTime && (w.endTime === null || first < w.endTime),
  );
}

const ERC20_METADATA_ABI = [
  "function symbol() view returns (string)",
  "function decimals() view returns (uint8)",
];

/** A token's symbol and decimals, null for what it does not answer. */
export async function tokenMetadata(
  provider: Provider,
  token: string,
): Promise<{ symbol: string | null; decimals: number | null }> {
  const c = new Contract(token, ERC20_METADATA_ABI, provider);
  let symbol: string | null = null;
  let decimals: number | null = null;
  // A token without the call reverts (or returns nothing): that is its answer. Any other
  // failure is a read that did not happen, and is thrown.
  try {
    symbol = String(await c.symbol());
  } catch (e) {
    if (!isRevertError(e) && !isBadData(e)) throw e;
  }
  try {
    decimals = Number(await c.decimals());
  } catch (e) {
    if (!isRevertError(e) && !isBadData(e)) throw e;
  }
  return { symbol, decimals };
}

/** The threshold and owners of `account` if it is a Safe, else null. */
export async function safeOf(
  provider: Provider,
  account: string,
): Promise<{ threshold: number; owners: string[] } | null> {
  if ((await provider.getCode(account)) === "0x") return null;
  try {
    const state = await readSafeState(provider, account);
    return { threshold: Number(state.threshold), owners: state.owners };
  } catch (e) {
    // A contract that is not a Safe reverts or answers garbage; a failed read is thrown.
    if (isRevertError(e) || isBadData(e)) return null;
    throw e;
  }
}

/** ethers' BAD_DATA: the call returned bytes that do not decode (e.g. no such function). */
function isBadData(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === "BAD_DATA";
}
