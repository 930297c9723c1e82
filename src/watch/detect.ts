/**
 * The rules: the suite's logs of a block range, in chain order, turned into alerts, with what the
 * rules must remember (operators, the live epoch, acknowledgements) kept in the watch state.
 *
 *  rollback, revoke, pause       RolledBack, VersionRevoked, ModelPaused (ModelRegistry)
 *  stale-batch, batch-unverified BatchAnchored after a close (InferenceAnchor; see stale.ts)
 *  unacknowledged                an operator of the model has not acknowledged the live epoch on
 *                                NodeRouting in any block before the first block whose time is at
 *                                least `ackGrace` seconds after the switch (or after the operator
 *                                was allowed, if later), nor in that block; raised at that block;
 *                                not raised for an epoch that closed before its deadline
 *  payment-to-unacknowledged     Settled (InferenceSettlement) to such an operator, past its
 *                                deadline, not acknowledged by the settlement's block
 *  batch-disputed                BatchDisputed (InferenceAnchor)
 *
 * Deadlines are judged on block times, never the watch's clock: the same chain gives the same
 * alerts at the same blocks, whatever the range sizes, polling or restarts.
 */
import { type Log, type Provider, getAddress } from "ethers";

import type {
  InferenceAnchor,
  InferenceSettlement,
  ModelRegistry,
  NodeRouting,
} from "../../types/ethers-contracts/index.js";
import { Disposition, enumNames } from "../chain/enums.js";
import { CliError } from "../ground/cli.js";
import { ALERT_FORMAT, type Alert, type AlertKind, isoOf, modelLabel } from "./alert.js";
import { type BatchCheckContext, checkAnchoredBatch } from "./stale.js";
import { type ModelKnowledge, type WatchState, emptyModel } from "./state.js";

const DISPOSITIONS = enumNames(Disposition);

export interface RulesOptions {
  chainId: number;
  provider: Provider;
  registry: ModelRegistry;
  anchor: InferenceAnchor;
  settlement?: InferenceSettlement;
  routing?: NodeRouting;
  /** Only these models (lower-case ids), all when undefined. */
  models?: Set<string>;
  /** Names of models, by lower-case id. */
  names: Map<string, string>;
  ackGraceSeconds: number;
  batches: Omit<BatchCheckContext, "registry" | "anchor">;
}

/** Block times, cached, and the first block at or after a time. */
export class BlockClock {
  private readonly times = new Map<number, number>();
  constructor(private readonly provider: Provider) {}

  async timeOf(block: number): Promise<number> {
    const cached = this.times.get(block);
    if (cached !== undefined) return cached;
    const b = await this.provider.getBlock(block);
    if (b === null) throw new CliError(`block ${block} is not available`);
    if (this.times.size > 10_000) this.times.clear();
    this.times.set(block, b.timestamp);
    return b.timestamp;
  }

  /** The first block in [lo, hi] whose time is at least `t` (the time of `hi` is). */
  async firstAtOrAfter(lo: number, hi: number, t: number): Promise<number> {
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if ((await this.timeOf(mid)) >= t) hi = mid;
      else lo = mid + 1;
    }
    return hi;
  }
}

type RaiseInput = {
  kind: AlertKind;
  id: string;
  modelId: string;
  block: number;
  time: number;
  txHash: string | null;
  logIndex: number | null;
  node: string | null;
  requestIds?: string[];
  records?: Alert["records"];
  summary: string;
  details: Record<string, unknown>;
};

export class Rules {
  readonly clock: BlockClock;
  private readonly addresses: {
    registry: string;
    anchor: string;
    settlement: string | null;
    routing: string | null;
  };

  constructor(
    private readonly o: RulesOptions,
    addresses: {
      registry: string;
      anchor: string;
      settlement: string | null;
      routing: string | null;
    },
  ) {
    this.clock = new BlockClock(o.provider);
    this.addresses = {
      registry: getAddress(addresses.registry),
      anchor: getAddress(addresses.anchor),
      settlement: addresses.settlement === null ? null : getAddress(addresses.settlement),
      routing: addresses.routing === null ? null : getAddress(addresses.routing),
    };
  }

  /** The contracts whose logs are read (all of them, or without the settlement in history). */
  logAddresses(history: boolean): string[] {
    const a = this.addresses;
    return [a.registry, a.anchor, a.routing, history ? null : a.settlement].filter(
      (x): x is string => x !== null,
    );
  }

  private watches(modelId: string): boolean {
    return this.o.models === undefined || this.o.models.has(modelId.toLowerCase());
  }

  private model(state: WatchState, modelId: string): ModelKnowledge {
    const key = modelId.toLowerCase();
    state.models[key] ??= emptyModel();
    return state.models[key];
  }

  private alert(x: RaiseInput): Alert {
    const id = x.modelId.toLowerCase();
    return {
      format: ALERT_FORMAT,
      id: x.id,
      kind: x.kind,
      chainId: this.o.chainId,
      model: { id, name: this.o.names.get(id) ?? null },
      block: { number: x.block, time: x.time, iso: isoOf(x.time) },
      txHash: x.txHash,
      logIndex: x.logIndex,
      node: x.node,
      requestIds: x.requestIds ?? x.records?.map((r) => r.requestId) ?? [],
      records: x.records ?? [],
      summary: x.summary,
      details: x.details,
    };
  }

  private label(modelId: string): string {
    const id = modelId.toLowerCase();
    return modelLabel({ id, name: this.o.names.get(id) ?? null });
  }

  /**
   * Applies the logs of blocks [from, to] (sorted, all of the watched contracts) to `state` and
   * returns the alerts they raise, in order. `history`: the range is before --from-block; what
   * it would raise is only marked as raised (and batch files are not fetched). Ids in `state.raised`
   * are not raised again. Does not touch `state.nextBlock`.
   */
  async apply(
    state: WatchState,
    raised: Set<string>,
    logs: Log[],
    from: number,
    to: number,
    history: boolean,
  ): Promise<Alert[]> {
    const out: Alert[] = [];
    const push = (a: Alert | null) => {
      if (a === null || raised.has(a.id)) return;
      raised.add(a.id);
      if (!history) out.push(a);
    };
    let checked = from - 1;
    const byBlock = new Map<number, Log[]>();
    for (const l of logs) {
      const list = byBlock.get(l.blockNumber) ?? [];
      list.push(l);
      byBlock.set(l.blockNumber, list);
    }
    const blocks = [...byBlock.keys()].sort((a, b) => a - b);
    for (const b of blocks) {
      const list = byBlock.get(b)!;
      list.sort((x, y) => x.index - y.index);
      const acksHere = this.acksIn(list);
      if (b - 1 > checked) {
        for (const a of await this.deadlines(state, raised, checked, b - 1, new Set())) push(a);
      }
      for (const a of await this.deadlines(state, raised, b - 1, b, acksHere)) push(a);
      checked = b;
      const time = await this.clock.timeOf(b);
      for (const l of list) {
        for (const a of await this.onLog(state, l, time, history)) push(a);
      }
    }
    if (to > checked) {
      for (const a of await this.deadlines(state, raised, checked, to, new Set())) push(a);
    }
    return out;
  }

  /** `${model}:${node}:${epoch}` of every acknowledgement in `logs`. */
  private acksIn(logs: Log[]): Set<string> {
    const out = new Set<string>();
    const routing = this.o.routing;
    if (routing === undefined || this.addresses.routing === null) return out;
    for (const l of logs) {
      if (getAddress(l.address) !== this.addresses.routing) continue;
      const p = routing.interface.parseLog(l);
      if (p?.name !== "EpochAcknowledged") continue;
      out.add(
        `${String(p.args.modelId).toLowerCase()}:${getAddress(p.args.node)}:${Number(p.args.epoch)}`,
      );
    }
    return out;
  }

  /**
   * The `unacknowledged` alerts whose deadline is crossed in (after, upTo]: raised at the first
   * block at or past the deadline (acknowledgements in that block, `acksAtUpTo` when it is
   * `upTo`, count), in block order.
   */
  private async deadlines(
    state: WatchState,
    raised: Set<string>,
    after: number,
    upTo: number,
    acksAtUpTo: Set<string>,
  ): Promise<Alert[]> {
    if (this.o.routing === undefined) return [];
    const due: Array<{ modelId: string; node: string; deadline: number; m: ModelKnowledge }> = [];
    for (const [modelId, m] of Object.entries(state.models)) {
      if (m.live === null || !this.watches(modelId)) continue;
      for (const [node, since] of Object.entries(m.operators)) {
        if ((m.acks[node]?.epoch ?? 0) >= m.live.epoch) continue;
        if (raised.has(unackId(modelId, m.live.epoch, node))) continue;
        due.push({
          modelId,
          node,
          deadline: Math.max(m.live.since, since) + this.o.ackGraceSeconds,
          m,
        });
      }
    }
    if (due.length === 0) return [];
    const upToTime = await this.clock.timeOf(upTo);
    const crossed: Array<{ block: number; alert: Alert }> = [];
    for (const d of due) {
      if (upToTime < d.deadline) continue;
      const live = d.m.live!;
      const block = await this.clock.firstAtOrAfter(after + 1, upTo, d.deadline);
      if (block === upTo && acksAtUpTo.has(`${d.modelId}:${d.node}:${live.epoch}`)) continue;
      const time = await this.clock.timeOf(block);
      const last = d.m.acks[d.node];
      crossed.push({
        block,
        alert: this.alert({
          kind: "unacknowledged",
          id: unackId(d.modelId, live.epoch, d.node),
          modelId: d.modelId,
          block,
          time,
          txHash: live.txHash,
          logIndex: null,
          node: d.node,
          summary:
            `node ${d.node} has not acknowledged epoch ${live.epoch} (v${live.version}) of model ` +
            `${this.label(d.modelId)}, live since ${isoOf(live.since)}, ` +
            `${this.o.ackGraceSeconds} s after the switch`,
          details: {
            epoch: live.epoch,
            version: live.version,
            switchedAt: live.since,
            switchBlock: live.block,
            operatorSince: d.m.operators[d.node],
            deadline: d.deadline,
            ackGraceSeconds: this.o.ackGraceSeconds,
            lastAcknowledged: last === undefined ? null : { epoch: last.epoch, at: last.at },
          },
        }),
      });
    }
    crossed.sort((a, b) => a.block - b.block);
    return crossed.map((c) => c.alert);
  }

  /** What one log changes and raises. */
  private async onLog(state: WatchState, l: Log, time: number, history: boolean): Promise<Alert[]> {
    const address = getAddress(l.address);
    const at = {
      block: l.blockNumber,
      time,
      txHash: l.transactionHash,
      logIndex: l.index,
    };
    const eventId = (kind: string) => `${kind}:${l.transactionHash.toLowerCase()}:${l.index}`;
    const a = this.addresses;
    if (address === a.registry) {
      const p = this.o.registry.interface.parseLog(l);
      if (p === null) return [];
      const modelId = String(p.args.modelId).toLowerCase();
      if (!this.watches(modelId)) return [];
      const m = this.model(state, modelId);
      switch (p.name) {
        case "VersionActivated":
          m.live = {
            epoch: Number(p.args.epoch),
            version: Number(p.args.version),
            since: time,
            block: l.blockNumber,
            txHash: l.transactionHash,
          };
          return [];
        case "EpochClosed":
          if (m.live?.epoch === Number(p.args.epoch)) m.live = null;
          return [];
        case "IncidentOpened":
          m.incidents[String(p.args.incidentId)] = {
            reasonHash: String(p.args.reasonHash),
            reasonURI: String(p.args.reasonURI),
          };
          return [];
        case "RolledBack": {
          const incident = Number(p.args.incidentId);
          const reason = m.incidents[String(incident)] ?? null;
          const disposition = DISPOSITIONS[Number(p.args.disposition)];
          const by = getAddress(p.args.by);
          return [
            this.alert({
              kind: "rollback",
              id: eventId("rollback"),
              modelId,
              ...at,
              node: null,
              summary:
                `model ${this.label(modelId)} rolled back from v${p.args.fromVersion} to ` +
                `v${p.args.toVersion} (incident ${incident}, v${p.args.fromVersion} ${disposition}) by ${by}` +
                (reason?.reasonURI ? `; reason ${reason.reasonURI}` : ""),
              details: {
                fromVersion: Number(p.args.fromVersion),
                toVersion: Number(p.args.toVersion),
                incidentId: incident,
                disposition,
                by,
                reasonHash: reason?.reasonHash ?? null,
                reasonURI: reason?.reasonURI ?? null,
              },
            }),
          ];
        }
        case "VersionRevoked": {
          const disposition = DISPOSITIONS[Number(p.args.disposition)];
          const by = getAddress(p.args.by);
          return [
            this.alert({
              kind: "revoke",
              id: eventId("revoke"),
              modelId,
              ...at,
              node: null,
              summary:
                `model ${this.label(modelId)} v${p.args.version} revoked as ${disposition} ` +
                `(incident ${p.args.incidentId}) by ${by}` +
                (p.args.reasonURI ? `; reason ${p.args.reasonURI}` : ""),
              details: {
                version: Number(p.args.version),
                incidentId: Number(p.args.incidentId),
                disposition,
                by,
                reasonHash: String(p.args.reasonHash),
                reasonURI: String(p.args.reasonURI),
              },
            }),
          ];
        }
        case "ModelPaused": {
          const by = getAddress(p.args.by);
          return [
            this.alert({
              kind: "pause",
              id: eventId("pause"),
              modelId,
              ...at,
              node: null,
              summary: `model ${this.label(modelId)} paused (v${p.args.version} was live) by ${by}: nothing is live`,
              details: { version: Number(p.args.version), by },
            }),
          ];
        }
        default:
          return [];
      }
    }
    if (address === a.anchor) {
      const p = this.o.anchor.interface.parseLog(l);
      if (p === null) return [];
      const modelId = String(p.args.modelId).toLowerCase();
      if (!this.watches(modelId)) return [];
      const m = this.model(state, modelId);
      switch (p.name) {
        case "OperatorSet": {
          const op = getAddress(p.args.operator);
          if (p.args.allowed) m.operators[op] ??= time;
          else delete m.operators[op];
          return [];
        }
        case "BatchAnchored":
          return history ? [] : this.onBatch(modelId, p.args, at);
        case "BatchDisputed": {
          const node = getAddress(p.args.operator);
          const by = getAddress(p.args.by);
          const root = String(p.args.root).toLowerCase();
          return [
            this.alert({
              kind: "batch-disputed",
              id: eventId("batch-disputed"),
              modelId,
              ...at,
              node,
              summary:
                `batch ${root} of node ${node} (model ${this.label(modelId)}) disputed by ${by} ` +
                `(dispute ${p.args.disputeIndex})` +
                (p.args.reasonURI ? `; reason ${p.args.reasonURI}` : ""),
              details: {
                root,
                disputeIndex: Number(p.args.disputeIndex),
                by,
                reasonHash: String(p.args.reasonHash),
                reasonURI: String(p.args.reasonURI),
              },
            }),
          ];
        }
        default:
          return [];
      }
    }
    if (a.routing !== null && address === a.routing && this.o.routing !== undefined) {
      const p = this.o.routing.interface.parseLog(l);
      if (p?.name !== "EpochAcknowledged") return [];
      const modelId = String(p.args.modelId).toLowerCase();
      if (!this.watches(modelId)) return [];
      this.model(state, modelId).acks[getAddress(p.args.node)] = {
        epoch: Number(p.args.epoch),
        at: Number(p.args[4]), // `at` (Result.at is a method)
      };
      return [];
    }
    if (a.settlement !== null && address === a.settlement && this.o.settlement !== undefined) {
      const p = this.o.settlement.interface.parseLog(l);
      if (p?.name !== "Settled" || this.o.routing === undefined) return [];
      const modelId = String(p.args.modelId).toLowerCase();
      if (!this.watches(modelId)) return [];
      const m = this.model(state, modelId);
      const payee = getAddress(p.args.payee);
      const epoch = Number(p.args.epoch);
      const since = m.operators[payee];
      if (since === undefined || m.live === null || m.live.epoch !== epoch) return [];
      if ((m.acks[payee]?.epoch ?? 0) >= epoch) return [];
      const deadline = Math.max(m.live.since, since) + this.o.ackGraceSeconds;
      if (time < deadline) return [];
      const settlementId = String(p.args.settlementId).toLowerCase();
      const requestId = String(p.args.requestId).toLowerCase();
      const last = m.acks[payee];
      return [
        this.alert({
          kind: "payment-to-unacknowledged",
          id: `payment-to-unacknowledged:${settlementId}`,
          modelId,
          ...at,
          node: payee,
          requestIds: [requestId],
          summary:
            `payment ${settlementId} of ${p.args.amount} (token ${getAddress(p.args.token)}) from ` +
            `${getAddress(p.args.payer)} settled to node ${payee}, which has not acknowledged ` +
            `epoch ${epoch} (v${p.args.version}) of model ${this.label(modelId)}`,
          details: {
            settlementId,
            payer: getAddress(p.args.payer),
            payee,
            requestId,
            version: Number(p.args.version),
            epoch,
            token: getAddress(p.args.token),
            amount: String(p.args.amount),
            settledAt: Number(p.args.settledAt),
            releaseAt: Number(p.args.releaseAt),
            deadline,
            lastAcknowledged: last === undefined ? null : { epoch: last.epoch, at: last.at },
          },
        }),
      ];
    }
    return [];
  }

  private async onBatch(
    modelId: string,
    args: { [key: string]: unknown },
    at: { block: number; time: number; txHash: string; logIndex: number },
  ): Promise<Alert[]> {
    const node = getAddress(String(args.operator));
    const root = String(args.root).toLowerCase();
    const batch = {
      modelId,
      root,
      node,
      count: Number(args.count),
      firstServedAt: Number(args.firstServedAt),
      lastServedAt: Number(args.lastServedAt),
      fileRef: String(args.fileRef).toLowerCase(),
      block: at.block,
      anchoredAt: at.time,
    };
    const check = await checkAnchoredBatch(
      { ...this.o.batches, registry: this.o.registry, anchor: this.o.anchor },
      batch,
    );
    if (check.kind === "not-after-close" || check.kind === "clean") return [];
    const base = {
      root,
      fileRef: batch.fileRef,
      count: batch.count,
      firstServedAt: batch.firstServedAt,
      lastServedAt: batch.lastServedAt,
      anchoredAt: batch.anchoredAt,
      liveVersion: check.liveVersion,
      closedEpochs: check.closed,
    };
    const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
    if (check.kind === "stale") {
      const versions = [...new Set(check.records.map((r) => r.version))].map((v) => `v${v}`);
      const primaries = new Map<string, number>();
      for (const r of check.records) primaries.set(r.primary, (primaries.get(r.primary) ?? 0) + 1);
      return [
        this.alert({
          kind: "stale-batch",
          id: `stale-batch:${modelId}:${node.toLowerCase()}:${root}`,
          modelId,
          ...at,
          node,
          records: check.records,
          summary:
            `node ${node} anchored batch ${root} (${plural(batch.count, "record")}) of model ` +
            `${this.label(modelId)} after the close: ${plural(check.staleCount, "record")} claim ` +
            `closed ${versions.join(", ")} (` +
            [...primaries].map(([p, n]) => `${n} ${p}`).join(", ") +
            `)`,
          details: {
            ...base,
            file: { status: "verified", from: check.from },
            staleCount: check.staleCount,
            recordsListed: check.records.length,
          },
        }),
      ];
    }
    return [
      this.alert({
        kind: "batch-unverified",
        id: `batch-unverified:${modelId}:${node.toLowerCase()}:${root}`,
        modelId,
        ...at,
        node,
        summary:
          `node ${node} anchored batch ${root} (${plural(batch.count, "record")}) of model ` +
          `${this.label(modelId)} after a close, and its records could not be checked: ${check.why}`,
        details: {
          ...base,
          file: { status: check.status, why: check.why, attempts: check.attempts },
        },
      }),
    ];
  }
}

function unackId(modelId: string, epoch: number, node: string): string {
  return `unacknowledged:${modelId.toLowerCase()}:${epoch}:${node.toLowerCase()}`;
}
