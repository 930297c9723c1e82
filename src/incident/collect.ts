/**
 * The records of each verified batch, as the batch arrives (a batch's records are dropped once it
 * is collected, so memory does not grow with the number of records): the records claiming the
 * version are classified off-chain (./classify.ts), counted, written to the sink (records.jsonl)
 * and kept in memory only up to a cap; the records of the payments' requests are indexed for
 * ./service.ts; a random sample is kept for the on-chain cross-check (./onchain.ts).
 */

import { decodeFlags, flagOf } from "../records/standing.js";
import { type BatchFacts, type RegistrySnapshot, classifyRecord, primaryOf } from "./classify.js";
import type { ObtainedBatch } from "./evidence.js";
import { inAnyWindow } from "./reads.js";
import { type InferenceRecord, keccak256Bytes } from "../records/record.js";
import type { ReportRecord, ReportWindow, ServedWhen, ServiceRecord } from "./types.js";

const VERSION_MARK_FLAGS = flagOf("VersionFaulty") | flagOf("VersionWithdrawn");

/** A payee's record of a request, with what the settlement's calls need. */
export interface Found {
  /** The record itself, with its proof (null when the proof is not kept). */
  record: InferenceRecord | null;
  item: ServiceRecord;
  /** Kept only where a settlement call may be simulated with it (see CollectOptions.wanted). */
  proof: string[] | null;
}

/** A record kept for the on-chain cross-check. */
export interface Sampled {
  root: string;
  record: InferenceRecord;
  proof: string[];
  item: ReportRecord;
}

export interface CollectOptions {
  snapshot: RegistrySnapshot;
  modelId: string;
  version: number;
  windows: ReportWindow[];
  afterClose: (t: number) => boolean;
  /**
   * (payee, payer, requestId) keys of the payments bound to the version, each with whether a
   * challenge or a proof may still be tried for it (then the record's proof is kept: at scale
   * most payments are past that, and keeping every proof would grow with the records).
   */
  wanted: Map<string, boolean>;
  /** Records kept in memory (the rest are counted and sunk). */
  cap: number;
  sample: number;
  sink?: (r: ReportRecord) => void;
  /** Records not served while live that keep record and proof in memory (NOT_LIVE_CAP). */
  notLiveInMemory?: number;
  /** Per node, when it switched away from the version (its routing acknowledgement). */
  switchedAt?: Map<string, number>;
  /** A seed for the sample (deterministic reports). */
  seed?: number;
}

/** Records not served while live whose record and proof stay in memory (others are reloaded). */
export const NOT_LIVE_CAP = 10_000;

export const serviceKey = (node: string, agent: string, requestId: string) =>
  `${node.toLowerCase()}:${agent.toLowerCase()}:${requestId.toLowerCase()}`;

const idInput = new Uint8Array(64);
/**
 * settlementIdOf(payer, requestId): keccak256(abi.encode(payer, requestId)), with the wasm keccak
 * of record.ts (ethers' ABI coder and JS keccak cost tens of microseconds; 10^5 stale records).
 */
export function settlementIdOf(payer: string, requestId: string): string {
  idInput.fill(0, 0, 12);
  idInput.set(Buffer.from(payer.slice(2), "hex"), 12);
  idInput.set(Buffer.from(requestId.slice(2), "hex"), 32);
  return "0x" + Buffer.from(keccak256Bytes(idInput)).toString("hex");
}

export class RecordCollector {
  readonly items: ReportRecord[] = [];
  readonly stale: ReportRecord[] = [];
  readonly byStanding: Record<string, number> = {};
  readonly byServedStanding: Record<string, number> = {};
  readonly found = new Map<string, Found[]>();
  /** Settlement ids of the version's records not served while it was live (other payments). */
  readonly notLiveIds = new Set<string>();
  private notLiveKept = 0;
  readonly sampled: Sampled[] = [];
  /** Per node (checksummed): stale records after the close, and after its own switch. */
  readonly staleByNode = new Map<string, { afterClose: number; afterOwnSwitch: number }>();
  /**
   * Per batch, records naming another node than the one that anchored it: the contract verifies
   * a record only against its own node's batches, so they are no evidence about that node (a node
   * could otherwise plant "stale" records in another's name). Skipped, and listed as problems.
   */
  readonly foreign: string[] = [];
  total = 0;
  whileLive = 0;
  afterClose = 0;
  outsideWindows = 0;
  private seen = 0;
  private rand: () => number;

  constructor(private readonly o: CollectOptions) {
    let a = (o.seed ?? 1) >>> 0;
    this.rand = () => {
      a = (a * 1664525 + 1013904223) >>> 0;
      return a / 4294967296;
    };
  }

  /** Classifies and indexes the records of one verified batch. */
  add(ob: ObtainedBatch): void {
    const b = ob.batch;
    const facts: BatchFacts = {
      modelId: this.o.modelId,
      anchoredAt: b.anchoredAt,
      firstServedAt: b.firstServedAt,
      lastServedAt: b.lastServedAt,
      disputeCount: b.disputes.length,
    };
    const model = this.o.modelId.toLowerCase();
    const node = b.node.toLowerCase();
    let ofVersion = 0;
    let foreign = 0;
    for (let i = 0; i < ob.records.count; i++) {
      const r = ob.records.get(i);
      if (r.node.toLowerCase() !== node) {
        foreign++;
        continue;
      }
      const claims = r.version === this.o.version && r.modelId === model;
      const key = serviceKey(r.node, r.agent, r.requestId);
      const wanted = this.o.wanted.has(key);
      if (!claims && !wanted) continue;
      let item: ReportRecord | null = null;
      if (claims) {
        ofVersion++;
        item = this.classify(ob, i, r, facts);
      }
      const notLive = item !== null && item.served !== "live";
      if (wanted || notLive) {
        const list = this.found.get(key) ?? [];
        // The first NOT_LIVE_CAP records not served while live keep their proof (a payment bound
        // to another version may still be challengeable); later ones are reloaded if needed.
        const keep =
          this.o.wanted.get(key) === true ||
          (notLive && this.notLiveKept++ < (this.o.notLiveInMemory ?? NOT_LIVE_CAP));
        list.push({
          record: keep ? r : null,
          proof: keep ? ob.tree.proof(i) : null,
          item: {
            source: ob.from,
            root: b.root,
            index: i,
            version: r.version,
            servedAt: r.servedAt,
            standing: item?.standing ?? null,
          },
        });
        this.found.set(key, list);
        if (notLive) {
          this.notLiveIds.add(settlementIdOf(r.agent, r.requestId).toLowerCase());
        }
      }
    }
    b.recordsOfVersion = ofVersion;
    if (foreign > 0) {
      this.foreign.push(
        `batch ${b.root} of node ${b.node} (${ob.from}) holds ${foreign} record(s) naming another ` +
          `node: not evidence about that node, not counted`,
      );
    }
  }

  private classify(
    ob: ObtainedBatch,
    i: number,
    r: InferenceRecord,
    facts: BatchFacts,
  ): ReportRecord {
    const { flags, liveVersionThen } = classifyRecord(this.o.snapshot, facts, r);
    const served: ServedWhen = inAnyWindow(r.servedAt, this.o.windows)
      ? "live"
      : this.o.afterClose(r.servedAt)
        ? "after-close"
        : "outside-windows";
    const standing = primaryOf(flags);
    const item: ReportRecord = {
      source: ob.from,
      root: ob.batch.root,
      index: i,
      requestId: r.requestId,
      agent: r.agent,
      node: r.node,
      servedAt: r.servedAt,
      served,
      anchoredAt: ob.batch.anchoredAt,
      included: true,
      flags: Number(flags),
      flagNames: decodeFlags(flags),
      standing,
      servedStanding: primaryOf(flags & ~VERSION_MARK_FLAGS),
      liveVersionThen,
      error: null,
    };
    this.total++;
    if (served === "live") this.whileLive++;
    else if (served === "after-close") this.afterClose++;
    else this.outsideWindows++;
    this.byStanding[item.standing!] = (this.byStanding[item.standing!] ?? 0) + 1;
    this.byServedStanding[item.servedStanding!] =
      (this.byServedStanding[item.servedStanding!] ?? 0) + 1;
    if (this.items.length < this.o.cap) this.items.push(item);
    if (served === "after-close") {
      if (this.stale.length < this.o.cap) this.stale.push(item);
      const node = ob.batch.node;
      const c = this.staleByNode.get(node) ?? { afterClose: 0, afterOwnSwitch: 0 };
      c.afterClose++;
      const switched = this.o.switchedAt?.get(node);
      if (switched !== undefined && r.servedAt >= switched) c.afterOwnSwitch++;
      this.staleByNode.set(node, c);
    }
    this.o.sink?.(item);
    this.keepSample(ob, i, r, item);
    return item;
  }

  /** Reservoir sampling: every record claiming the version equally likely to be cross-checked. */
  private keepSample(ob: ObtainedBatch, i: number, r: InferenceRecord, item: ReportRecord) {
    this.seen++;
    const entry = () => ({ root: ob.batch.root, record: r, proof: ob.tree.proof(i), item });
    if (this.sampled.length < this.o.sample) this.sampled.push(entry());
    else {
      const j = Math.floor(this.rand() * this.seen);
      if (j < this.o.sample) this.sampled[j] = entry();
    }
  }
}
