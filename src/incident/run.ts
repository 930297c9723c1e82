/**
 * What `npm run incident` does once its arguments are parsed, apart from printing: the report (to
 * stdout, or a dossier with --out) and `check DIR`. Kept here so that scripts/incident.ts stays a
 * thin entry point and the tests can run the same steps on any connection.
 */
import { BrowserProvider, getAddress, type Provider } from "ethers";

import type {
  AgentActionLog,
  InferenceAnchor,
  InferenceSettlement,
  ModelRegistry,
  NodeRouting,
} from "../../types/ethers-contracts/index.js";
import { resolveAddress } from "../chain/chain.js";
import { fail } from "../ground/cli.js";
import type { ToolConnection } from "../chain/connect.js";
import { type Eip1193Provider, retryingProvider } from "../chain/rpc-retry.js";
import { type BatchSource, ContentStore } from "../store/index.js";
import { incidentContracts, type IncidentRequest } from "./args.js";
import { RecordDigest, dossierDifferences, readDossierHead } from "./check.js";
import { batchProgress } from "./progress.js";
import { incidentReport } from "./report.js";
import type { IncidentReport, IncidentReportOptions } from "./types.js";

/** The report's contracts and provider over `tool`, every read retried (see rpc-retry.ts). */
export async function readContext(
  tool: ToolConnection,
  overrides: IncidentRequest["overrides"],
  networkName: string,
): Promise<{
  base: Pick<
    IncidentReportOptions,
    "provider" | "registry" | "anchor" | "settlement" | "actionLog" | "routing"
  >;
  unavailable: () => Error | undefined;
}> {
  const retrying = retryingProvider(tool.eip1193 as Eip1193Provider);
  const { settlement, actionLog } = await incidentContracts(tool, overrides, networkName);
  const provider = new BrowserProvider(retrying, Number(tool.chainId), { staticNetwork: true });
  const routing = await routingOf(tool, overrides.routing, networkName);
  return {
    base: {
      routing: routing?.connect(provider) as NodeRouting | undefined,
      provider: provider as unknown as Provider,
      registry: tool.registry.connect(provider) as ModelRegistry,
      anchor: tool.anchor.connect(provider) as InferenceAnchor,
      settlement: settlement.connect(provider) as InferenceSettlement,
      actionLog: actionLog.connect(provider) as AgentActionLog,
    },
    unavailable: () => retrying.unavailable,
  };
}

/**
 * The suite's NodeRouting: --routing, else the deployment's if it has one (an older deployment
 * has none: the report then says so); it must have code and use the tool's registry and anchor.
 */
async function routingOf(
  tool: ToolConnection,
  override: string | undefined,
  networkName: string,
): Promise<NodeRouting | undefined> {
  let address: string;
  try {
    address = resolveAddress("NodeRouting", tool.chainId, override, "--routing");
  } catch (e) {
    if (override === undefined) return undefined;
    throw e;
  }
  if ((await tool.ethers.provider.getCode(address)) === "0x") {
    fail(`no contract at ${address} (NodeRouting) on network ${networkName}`);
  }
  const routing = (await tool.ethers.getContractAt(
    "NodeRouting",
    address,
  )) as unknown as NodeRouting;
  if (getAddress(await routing.anchor()) !== getAddress(await tool.anchor.getAddress())) {
    fail(`the NodeRouting ${address} uses another anchor: it belongs to another deployment`);
  }
  return routing;
}

/**
 * Runs `build` and rethrows the retry layer's one line when the node stopped answering (ethers
 * wraps the error; and a step that tolerates a failed read still means unseen evidence).
 */
export async function guarded<T>(
  unavailable: () => Error | undefined,
  build: () => Promise<T>,
): Promise<T> {
  let result: T;
  try {
    result = await build();
  } catch (e) {
    throw unavailable() ?? e;
  }
  const failed = unavailable();
  if (failed !== undefined) throw failed;
  return result;
}

/** The report options shared by the report and the check: sources, cache, progress. */
export function evidenceOptions(
  sources: BatchSource[],
  store: string,
  quiet: boolean,
  label: string,
): Pick<IncidentReportOptions, "sources" | "cache" | "onBatchesKnown" | "onBatchSettled"> & {
  done: () => void;
} {
  const progress = batchProgress(label, quiet);
  return {
    sources,
    cache: new ContentStore(store),
    onBatchesKnown: (n) => progress.start(n),
    onBatchSettled: () => progress.tick(),
    done: () => progress.stop(),
  };
}

/**
 * `check DIR`: derives the dossier again at its block and returns the differences (none: the
 * dossier is what the chain and the storage give).
 */
export async function checkDossierAt(
  dir: string,
  chainId: bigint,
  context: Awaited<ReturnType<typeof readContext>>,
  evidence: ReturnType<typeof evidenceOptions>,
): Promise<{ differences: string[]; report: IncidentReport }> {
  const head = readDossierHead(dir);
  if (BigInt(head.chainId) !== chainId) {
    fail(`the dossier is of chain ${head.chainId}, the network is chain ${chainId}`);
  }
  const digest = new RecordDigest();
  const { done, ...rest } = evidence;
  const report = await guarded(context.unavailable, () =>
    incidentReport({
      ...context.base,
      ...rest,
      modelId: head.modelId,
      modelName: head.modelName ?? undefined,
      version: head.version,
      fromBlock: head.fromBlock,
      toBlock: head.readBlock,
      blockRange: head.blockRange,
      recordSink: (r) => digest.add(r),
    }),
  );
  done();
  return { differences: await dossierDifferences(dir, report, digest), report };
}
