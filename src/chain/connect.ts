/**
 * Opens a Hardhat network connection by name for the command-line tools, with the suite's
 * contracts resolved from --anchor (or the Ignition deployment of that chain).
 */
import type { NetworkConnection } from "hardhat/types/network";
// The hardhat-ethers plugin adds `ethers` to a connection (types only; hardhat.config.ts loads it).
import type {} from "@nomicfoundation/hardhat-ethers";

import { fail, oneLine } from "../ground/cli.js";
import { resolveAddress } from "./chain.js";
import type { InferenceAnchor, ModelRegistry } from "../../types/ethers-contracts/index.js";

/**
 * Opens `networkName` (a `networks` entry of hardhat.config.ts) and checks that it answers; a
 * network that does not is one line (`hint` is appended, e.g. how to start a local node).
 */
export async function openNetwork(networkName: string, hint = ""): Promise<NetworkConnection> {
  const { network } = await import("hardhat");
  try {
    const connection = await network.create(networkName);
    await connection.provider.request({ method: "eth_chainId" });
    return connection;
  } catch (e) {
    fail(
      `cannot reach network ${networkName}: ${oneLine(e instanceof Error ? e.message : String(e))}${hint}`,
    );
  }
}

export interface ToolConnection {
  ethers: import("@nomicfoundation/hardhat-ethers/types").HardhatEthers;
  chainId: bigint;
  anchor: InferenceAnchor;
  registry: ModelRegistry;
  /** The connection's EIP-1193 provider (what ethers sits on), for tools that wrap it. */
  eip1193: NetworkConnection["provider"];
  close(): Promise<void>;
}

/** Connects to `networkName` (a `networks` entry of hardhat.config.ts). */
export async function connectTool(
  networkName: string,
  anchorOverride: string | undefined,
): Promise<ToolConnection> {
  const connection = await openNetwork(networkName);
  const { ethers } = connection;
  const { chainId } = await ethers.provider.getNetwork();
  const anchorAddress = resolveAddress("InferenceAnchor", chainId, anchorOverride, "--anchor");
  if ((await ethers.provider.getCode(anchorAddress)) === "0x") {
    fail(`no contract at ${anchorAddress} on network ${networkName} (chain ${chainId})`);
  }
  const anchor = (await ethers.getContractAt(
    "InferenceAnchor",
    anchorAddress,
  )) as unknown as InferenceAnchor;
  const registry = (await ethers.getContractAt(
    "ModelRegistry",
    await anchor.registry(),
  )) as unknown as ModelRegistry;
  return {
    ethers,
    chainId,
    anchor,
    registry,
    eip1193: connection.provider,
    close: () => connection.close(),
  };
}
