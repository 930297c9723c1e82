/**
 * Following the chain: polls the provider for new blocks and reads the suite's logs in bounded
 * ranges (at most `blockRange` blocks per eth_getLogs, every watched contract in one request),
 * hands each range to the rules (detect.ts) and the alerts they raise to the sink, in order. A
 * range is committed as a whole: the state (next block, raised ids, pending deliveries, what the
 * rules remember) is written before its alerts are emitted, so a restart never raises an alert
 * twice; a range whose reads fail is read again, the state as before it.
 *
 * Where it starts: the state file's next block; else `fromBlock`; else the block after the
 * latest. What happened before the start (from `historyFrom`, default 0) is read first, quietly,
 * for what the rules must know (operators, the live epoch, acknowledgements); it raises nothing.
 */
import type { Log, Provider } from "ethers";

import { CliError, oneLine } from "../ground/cli.js";
import type { Alert } from "./alert.js";
import { Rules, type RulesOptions } from "./detect.js";
import { type WatchState, emptyState, writeState } from "./state.js";

/** Where alerts go: printed and queued for the webhook, by the caller. */
export interface AlertSink {
  /** Alerts raised but not yet delivered (saved in the state file). */
  pending(): Alert[];
  put(alert: Alert): void;
  /** False when nothing is delivered (no webhook): new alerts are then not kept as pending. */
  delivers?: boolean;
}

export interface WatchOptions extends Omit<RulesOptions, "provider"> {
  provider: Provider;
  contracts: WatchState["contracts"];
  /** A state read from --state, to resume from. */
  state?: WatchState;
  /** Where the state is written after each range (none: kept in memory only). */
  statePath?: string;
  fromBlock?: number;
  historyFrom?: number;
  /** Blocks per eth_getLogs (default 2000). */
  blockRange?: number;
  /** Blocks behind the head to stay (default 0). */
  confirmations?: number;
  /** Between polls when there is nothing new (default 2000 ms). */
  pollMs?: number;
  sink: AlertSink;
  /** Lines for the operator (stderr in the CLI): history read, retries. */
  notice?: (line: string) => void;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

export class Watch {
  state!: WatchState;
  readonly rules: Rules;
  private raised = new Set<string>();
  private readonly range: number;
  private readonly confirmations: number;
  private readonly pollMs: number;

  constructor(private readonly o: WatchOptions) {
    this.rules = new Rules(o, o.contracts);
    this.range = o.blockRange ?? 2000;
    this.confirmations = o.confirmations ?? 0;
    this.pollMs = o.pollMs ?? 2000;
  }

  /** The last block that may be read now. */
  async head(): Promise<number> {
    return (await this.o.provider.getBlockNumber()) - this.confirmations;
  }

  /** Loads the state or builds it (reading the history before the start quietly). */
  async init(): Promise<void> {
    if (this.o.state !== undefined) {
      this.state = this.o.state;
      this.raised = new Set(this.state.raised);
      return;
    }
    const next = Math.max(0, (await this.head()) + 1);
    const start = this.o.fromBlock ?? next;
    if (start > next) {
      throw new CliError(
        `--from-block ${start} is ahead of the chain (the next block to read is ${next})`,
      );
    }
    const historyFrom = Math.min(this.o.historyFrom ?? 0, start);
    this.state = emptyState(this.o.chainId, this.o.contracts, historyFrom);
    if (start > historyFrom) {
      this.o.notice?.(
        `reading blocks ${historyFrom}-${start - 1} (before the start) for what the rules need`,
      );
      while (this.state.nextBlock < start) {
        const to = Math.min(this.state.nextBlock + this.range - 1, start - 1);
        await this.commit(to, true);
      }
    }
    this.save();
  }

  /** Writes the state file, if there is one. */
  save(): void {
    if (this.o.statePath === undefined) return;
    this.state.pending = this.o.sink.pending();
    this.state.raised = [...this.raised];
    writeState(this.o.statePath, this.state);
  }

  /** Reads the next range up to `limit` (the head by default): the blocks read (0: none new). */
  async step(limit?: number): Promise<number> {
    const head = Math.min(await this.head(), limit ?? Number.POSITIVE_INFINITY);
    const from = this.state.nextBlock;
    if (head < from) return 0;
    const to = Math.min(from + this.range - 1, head);
    await this.commit(to, false);
    return to - from + 1;
  }

  /** Reads every block up to `block` (waiting for it to be mined if it is ahead). */
  async runUntil(block: number, signal?: AbortSignal): Promise<void> {
    while (this.state.nextBlock <= block && !signal?.aborted) {
      if ((await this.step(block)) === 0) await sleep(this.pollMs, signal);
    }
  }

  /**
   * Follows the chain until `signal` aborts (or `untilBlock` is read): a failed read is one
   * notice line and is tried again with backoff (at most 30 s apart), never the end of the watch.
   */
  async follow(signal: AbortSignal, untilBlock?: number): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      if (untilBlock !== undefined && this.state.nextBlock > untilBlock) return;
      let read: number;
      try {
        read = await this.step(untilBlock);
        if (failures > 0) this.o.notice?.(`reading again from block ${this.state.nextBlock}`);
        failures = 0;
      } catch (e) {
        failures++;
        const delay = Math.min(this.pollMs * 2 ** (failures - 1), 30_000);
        this.o.notice?.(
          `reading from block ${this.state.nextBlock} failed (${oneLine(e instanceof Error ? e.message : String(e))}); ` +
            `trying again in ${Math.round(delay / 100) / 10} s`,
        );
        await sleep(delay, signal);
        continue;
      }
      if (read === 0) await sleep(this.pollMs, signal);
    }
  }

  /** Reads [nextBlock, to], applies it, saves, then emits its alerts. */
  private async commit(to: number, history: boolean): Promise<void> {
    const from = this.state.nextBlock;
    const logs: Log[] = await this.o.provider.getLogs({
      address: this.rules.logAddresses(history),
      fromBlock: from,
      toBlock: to,
    });
    logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
    // Applied to a copy: the state (which a delivery may save meanwhile) changes only once the
    // whole range is read.
    const working = { ...this.state, models: structuredClone(this.state.models) };
    const raised = new Set(this.raised);
    const alerts = await this.rules.apply(working, raised, logs, from, to, history);
    this.state.models = working.models;
    this.raised = raised;
    this.state.nextBlock = to + 1;
    if (history) return;
    // Saved with this range's alerts pending before they are emitted (see the file doc).
    if (this.o.statePath !== undefined) {
      const pending = this.o.sink.pending();
      this.state.pending = this.o.sink.delivers === false ? pending : [...pending, ...alerts];
      this.state.raised = [...this.raised];
      writeState(this.o.statePath, this.state);
    }
    for (const a of alerts) this.o.sink.put(a);
  }
}
