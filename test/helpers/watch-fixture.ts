/**
 * The watch's test fixtures: the demo's story (scripts/demo/scenario.ts) continued with a payment
 * to the node that never acknowledged the rollback's epoch, a pause, a resume and a revoke; a
 * watch over an in-process network; and webhook receivers on loopback (node:http).
 */
import type { IncomingMessage, ServerResponse } from "node:http";

import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import type { Provider } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import {
  DEMO_MODEL,
  requestOf,
  runScenario,
  unit,
  type DemoScenario,
} from "../../scripts/demo/scenario.js";
import { parseGovArgs, runGov } from "../../src/governance/gov.js";
import {
  type Alert,
  type AlertSink,
  Watch,
  type WatchOptions,
  type WatchState,
  WebhookQueue,
} from "../../src/watch/index.js";
import { type TestServer, serve } from "./http-server.js";

const MINUTE = 60;
const HOUR = 3600;

export interface WatchStory extends DemoScenario {
  /** Times of the steps after the demo's story. */
  extra: { paymentToB: number; pause: number; resume: number; revoke: number };
  /** The settlement id of the payment to node B. */
  paymentToB: string;
}

/** The demo's story, then: alice pays node B (never switched to epoch 3), a pause, a resume, a revoke. */
export async function watchStory(
  connection: NetworkConnection,
  workDir: string,
): Promise<WatchStory> {
  const s = await runScenario(connection, { workDir });
  const { ethers, networkHelpers } = connection;
  const { time } = networkHelpers;
  const end = s.times.end;
  const extra = {
    paymentToB: end + 10 * MINUTE,
    pause: end + HOUR,
    resume: end + HOUR + 10 * MINUTE,
    revoke: end + HOUR + 20 * MINUTE,
  };
  const gov = async (t: number, argv: string[]) => {
    await time.setNextBlockTimestamp(t);
    await runGov(parseGovArgs([...argv, "--execute", ...s.govOverrides]), ethers as HardhatEthers, {
      print: () => {},
    });
  };
  const [, epoch3] = await s.registry.live(s.modelId);
  await time.setNextBlockTimestamp(extra.paymentToB);
  const receipt = await (
    await s.settlement
      .connect(s.alice)
      .settle(
        s.modelId,
        1,
        epoch3,
        s.nodeB.address,
        await s.token.getAddress(),
        unit(2),
        requestOf("p1"),
        0,
      )
  ).wait();
  let paymentToB = "";
  for (const log of receipt!.logs) {
    const parsed = s.settlement.interface.parseLog(log);
    if (parsed?.name === "Settled") paymentToB = String(parsed.args.settlementId);
  }
  await gov(extra.pause, ["pause", "--model", DEMO_MODEL]);
  await gov(extra.resume, ["resume", "--model", DEMO_MODEL]);
  await gov(extra.revoke, [
    "revoke",
    "--model",
    DEMO_MODEL,
    "--version",
    "1",
    "--disposition",
    "withdrawn",
    "--reason",
    "v1 withdrawn too",
  ]);
  return { ...s, extra, paymentToB };
}

/** A watch over the story's contracts (an in-process network), alerts collected in order. */
export function storyWatch(
  connection: NetworkConnection,
  s: DemoScenario,
  options: Partial<WatchOptions> & { queue?: WebhookQueue } = {},
): { watch: Watch; alerts: Alert[] } {
  const alerts: Alert[] = [];
  const queue = options.queue;
  const sink: AlertSink = {
    pending: () => queue?.pending ?? [],
    put: (a) => {
      alerts.push(a);
      queue?.enqueue(a);
    },
  };
  const watch = new Watch({
    chainId: 31337,
    provider: connection.ethers.provider as unknown as Provider,
    registry: s.registry,
    anchor: s.anchor,
    settlement: s.settlement,
    routing: s.routing,
    contracts: {
      registry: s.registry.target as string,
      anchor: s.anchor.target as string,
      settlement: s.settlement.target as string,
      routing: s.routing.target as string,
    },
    names: new Map([[s.modelId.toLowerCase(), DEMO_MODEL]]),
    ackGraceSeconds: 15 * MINUTE,
    batches: { sources: [], cache: s.store, maxRecords: 1000 },
    fromBlock: 0,
    blockRange: 7,
    pollMs: 10,
    sink,
    ...options,
  });
  return { watch, alerts };
}

export type { WatchState };

/** A received POST. */
export interface Received {
  id: string;
  body: Alert;
}

/**
 * A webhook receiver on 127.0.0.1: `answer(n)` says what to do with the n-th request (1-based):
 * a status to answer, or "hang" to never answer.
 */
export async function receiver(
  answer: (n: number, id: string) => number | "hang" = () => 200,
): Promise<TestServer & { received: Received[]; requests: number }> {
  const received: Received[] = [];
  let requests = 0;
  const server = await serve((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests++;
      const id = String(req.headers["x-watch-alert-id"] ?? "");
      const what = answer(requests, id);
      if (what === "hang") return;
      if (what >= 200 && what < 300) {
        received.push({ id, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Alert });
      }
      res.writeHead(what).end();
    });
  });
  return {
    ...server,
    received,
    get requests() {
      return requests;
    },
  };
}
