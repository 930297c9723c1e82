/**
 * What `npm run watch` does once its arguments are parsed: the contracts, the state file, the
 * webhook queue, printing (JSON Lines on stdout, a line in words on stderr), stopping on a signal
 * or at --until-block, and the exit code. Kept here so that scripts/watch.ts stays thin.
 */
import { BrowserProvider, type Provider, getAddress } from "ethers";

import type {
  InferenceSettlement,
  ModelRegistry,
  InferenceAnchor,
  NodeRouting,
} from "../../types/ethers-contracts/index.js";
import { resolveAddress } from "../chain/chain.js";
import { fail } from "../ground/cli.js";
import type { ToolConnection } from "../chain/connect.js";
import { type Eip1193Provider, retryingProvider } from "../chain/rpc-retry.js";
import { ContentStore, defaultStoreDir, parseSource } from "../store/index.js";
import { type Alert, alertHumanLine, alertLine } from "./alert.js";
import { EXIT_LOST, type WatchRequest } from "./args.js";
import { WebhookQueue } from "./deliver.js";
import { Watch } from "./follow.js";
import { readState } from "./state.js";

export interface WatchIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** Resolves paths of the command line (userPath in the CLI). */
  path: (p: string) => string;
  /** Aborted to stop (SIGINT, SIGTERM in the CLI). */
  signal: AbortSignal;
}

/** The suite contract at `override` or in the deployment, null if the deployment has none. */
async function optionalContract(
  tool: ToolConnection,
  name: string,
  override: string | undefined,
  flag: string,
  networkName: string,
): Promise<string | null> {
  let address: string;
  try {
    address = resolveAddress(name, tool.chainId, override, flag);
  } catch (e) {
    if (override === undefined) return null;
    throw e;
  }
  if ((await tool.ethers.provider.getCode(address)) === "0x") {
    fail(`no contract at ${address} (${name}) on network ${networkName}`);
  }
  return getAddress(address);
}

/** Runs the watch until a signal or --until-block; returns the exit code (0 or EXIT_LOST). */
export async function runWatch(
  request: WatchRequest,
  tool: ToolConnection,
  io: WatchIo,
  name = "watch",
): Promise<number> {
  const say = (line: string) => io.stderr(`${name}: ${line}`);
  const chainId = Number(tool.chainId);
  const settlementAddress = await optionalContract(
    tool,
    "InferenceSettlement",
    request.overrides.settlement,
    "--settlement",
    request.network,
  );
  const routingAddress = await optionalContract(
    tool,
    "NodeRouting",
    request.overrides.routing,
    "--routing",
    request.network,
  );
  if (routingAddress === null) {
    say("no NodeRouting in the deployment (--routing): acknowledgements are not watched");
  }
  const retrying = retryingProvider(tool.eip1193 as Eip1193Provider, { attempts: 3 });
  const provider = new BrowserProvider(retrying, chainId, { staticNetwork: true });
  const registry = tool.registry.connect(provider) as ModelRegistry;
  const anchor = tool.anchor.connect(provider) as InferenceAnchor;
  const at = async <T>(contract: string, address: string | null) =>
    address === null
      ? undefined
      : ((await tool.ethers.getContractAt(contract, address)).connect(provider) as unknown as T);
  const settlement = await at<InferenceSettlement>("InferenceSettlement", settlementAddress);
  const routing = await at<NodeRouting>("NodeRouting", routingAddress);
  const contracts = {
    registry: getAddress(await registry.getAddress()),
    anchor: getAddress(await anchor.getAddress()),
    settlement: settlementAddress,
    routing: routingAddress,
  };

  const statePath = request.state === undefined ? undefined : io.path(request.state);
  const state = statePath === undefined ? undefined : readState(statePath, request.state);
  if (state !== undefined) {
    if (state.chainId !== chainId) {
      fail(
        `the state file ${request.state} is of chain ${state.chainId}, the network is chain ${chainId}`,
      );
    }
    for (const k of ["registry", "anchor", "settlement", "routing"] as const) {
      if ((state.contracts[k] ?? null) !== contracts[k]) {
        fail(
          `the state file ${request.state} watched ${k} ${state.contracts[k]}, not ${contracts[k]}: ` +
            `another deployment (use another --state)`,
        );
      }
    }
    if (request.fromBlock !== undefined && request.fromBlock !== state.nextBlock) {
      fail(
        `the state file ${request.state} resumes at block ${state.nextBlock}: drop --from-block ` +
          `or use another --state`,
      );
    }
  }

  let lost = 0;
  const lostIds: string[] = [];
  let watch: Watch | undefined;
  const queue =
    request.webhook === undefined
      ? undefined
      : new WebhookQueue({
          url: request.webhook,
          attempts: request.webhookAttempts,
          timeoutMs: request.webhookTimeoutMs,
          onDelivered: () => watch?.save(),
          onRetry: (a, attempt, why, delay) => {
            if (!request.quiet) {
              say(
                `webhook: alert ${a.id} attempt ${attempt} failed (${why}); again in ${delay} ms`,
              );
            }
          },
          onLost: (a, why, attempts) => {
            lost++;
            lostIds.push(a.id);
            say(
              `LOST: alert ${a.id} (${a.kind}, block ${a.block.number}) was not delivered to the ` +
                `webhook after ${attempts} attempt(s): ${why}; the watch goes on`,
            );
            if (watch !== undefined) {
              watch.state.lost.push(a.id);
              watch.save();
            }
          },
        });
  const sink = {
    // Without a webhook, what a previous run did not deliver is kept for a run with one.
    pending: (): Alert[] => queue?.pending ?? state?.pending ?? [],
    delivers: queue !== undefined,
    put: (a: Alert) => {
      io.stdout(alertLine(a));
      if (!request.quiet) say(alertHumanLine(a));
      queue?.enqueue(a);
    },
  };
  const names = new Map<string, string>();
  for (const m of request.models) if (m.name !== undefined) names.set(m.id.toLowerCase(), m.name);
  const store = new ContentStore(
    request.store === undefined ? defaultStoreDir() : io.path(request.store),
  );
  watch = new Watch({
    chainId,
    provider: provider as unknown as Provider,
    registry,
    anchor,
    settlement,
    routing,
    contracts,
    models:
      request.models.length === 0
        ? undefined
        : new Set(request.models.map((m) => m.id.toLowerCase())),
    names,
    ackGraceSeconds: request.ackGraceSeconds,
    batches: {
      sources: request.sources.map((s) =>
        parseSource(s.startsWith("dir:") ? `dir:${io.path(s.slice(4))}` : s),
      ),
      cache: store,
      maxRecords: 1000,
    },
    state,
    statePath,
    fromBlock: request.fromBlock,
    historyFrom: request.historyFrom,
    blockRange: request.blockRange,
    confirmations: request.confirmations,
    pollMs: request.pollMs,
    sink,
    notice: request.quiet ? undefined : say,
  });
  try {
    await watch.init();
  } catch (e) {
    throw retrying.unavailable ?? e;
  }
  // Alerts a previous run raised but did not deliver go first, in their order.
  if (state !== undefined && state.pending.length > 0) {
    if (queue === undefined) {
      say(`${state.pending.length} alert(s) of a previous run wait for a webhook (--webhook)`);
    } else {
      say(`delivering ${state.pending.length} alert(s) a previous run did not deliver`);
      for (const a of state.pending) queue.enqueue(a);
    }
  }
  say(
    `watching chain ${chainId} from block ${watch.state.nextBlock}` +
      (request.untilBlock === undefined ? "" : ` to block ${request.untilBlock}`) +
      (request.webhook === undefined ? "" : `; alerts to ${request.webhook}`),
  );
  await watch.follow(io.signal, request.untilBlock);
  watch.save();

  if (queue !== undefined) {
    // Bounded: every alert's attempts are; a signal leaves the rest pending in the state file.
    const drained = io.signal.aborted ? await queue.drain(10_000) : await queue.drain();
    if (!drained) {
      await queue.close();
      const left = queue.pending;
      watch.save();
      if (statePath !== undefined) {
        say(
          `${left.length} alert(s) not yet delivered are kept in ${request.state} for the next run`,
        );
      } else {
        lost += left.length;
        for (const a of left) lostIds.push(a.id);
        say(`LOST: ${left.length} alert(s) not delivered, and no --state to keep them`);
      }
    }
  }
  say(
    `stopped at block ${watch.state.nextBlock - 1}` +
      (queue === undefined ? "" : `; ${queue.delivered} delivered, ${lost} lost`) +
      (lost > 0 ? ` (${lostIds.join(", ")}): exit ${EXIT_LOST}` : ""),
  );
  return lost > 0 ? EXIT_LOST : 0;
}
