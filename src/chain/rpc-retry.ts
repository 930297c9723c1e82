/**
 * Transient RPC failures, retried below ethers: a node that blips (a dropped connection, a
 * timeout, a rate limit) must not read as an on-chain answer. The tools that read evidence
 * (`npm run incident`) put {@link retryingProvider} between ethers and the network connection, so
 * every read is retried with backoff and a node that stays away ends the command with one line
 * ({@link RpcUnavailableError}) instead of a report that silently lacks what it could not read.
 *
 * What counts as final: an answer the node gave about the request itself: a revert (revert data,
 * JSON-RPC code 3 or a message saying it reverted), invalid request, method or params (-32600,
 * -32601, -32602). Everything else is transient and retried: a request that never got an answer
 * (connection refused or reset, a timeout; Hardhat 3's HTTP provider reports these, and HTTP
 * 5xx, as code -1 "Failed to make POST request"), HTTP 429, -32005 (limit exceeded), -32000
 * "header not found" from a load-balanced node behind.
 */
import { CliError, oneLine } from "../ground/cli.js";

/** The EIP-1193 `request` of a provider (Hardhat's network connection, a browser wallet, ...). */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] | Record<string, unknown> }): Promise<unknown>;
}

/**
 * A retrying provider. ethers wraps whatever a request throws into its own error, so the first
 * request that ran out of attempts is also kept here: callers rethrow it as the command's one line.
 */
export interface RetryingProvider extends Eip1193Provider {
  readonly unavailable: RpcUnavailableError | undefined;
}

export interface RetryOptions {
  /** Attempts per request, the first included (default 5). */
  attempts?: number;
  /** Delay before the second attempt, doubled after each (default 250 ms). */
  baseDelayMs?: number;
}

/** The node did not answer after every retry: the evidence could not be read. */
export class RpcUnavailableError extends CliError {}

/** JSON-RPC codes of a definite answer about the request: retrying cannot change it. */
const FINAL_CODES = new Set([3, -32600, -32601, -32602]);

function codeOf(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

/**
 * Whether `e` (thrown by an EIP-1193 request or by ethers over one) is the node's answer that
 * the call reverted: revert data (`0x` included), JSON-RPC code 3, or a message that says so.
 */
export function isRevertError(e: unknown): boolean {
  for (let c: unknown = e, depth = 0; c !== undefined && c !== null && depth < 6; depth++) {
    const x = c as {
      code?: unknown;
      data?: unknown;
      message?: unknown;
      error?: unknown;
      info?: unknown;
      cause?: unknown;
    };
    if (x.code === 3) return true;
    if (typeof x.data === "string" && x.data.startsWith("0x")) return true;
    if (typeof x.message === "string" && /reverted|execution reverted|revert/i.test(x.message)) {
      if (!/Failed to make|ECONN|socket|timeout/i.test(x.message)) return true;
    }
    c = x.error ?? (x.info as { error?: unknown } | undefined)?.error ?? x.cause;
  }
  return false;
}

/** Whether `e`, thrown by an EIP-1193 request, may succeed when the request is sent again. */
export function isTransientRpcError(e: unknown): boolean {
  if (isRevertError(e)) return false;
  const code = codeOf(e);
  return code === undefined || !FINAL_CODES.has(code);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `inner` with every request retried on a transient failure (see the file doc), up to
 * `attempts` times with exponential backoff; then an {@link RpcUnavailableError} naming the method
 * and the last failure.
 */
export function retryingProvider(
  inner: Eip1193Provider,
  options: RetryOptions = {},
): RetryingProvider {
  const attempts = options.attempts ?? 5;
  const base = options.baseDelayMs ?? 250;
  let unavailable: RpcUnavailableError | undefined;
  return {
    get unavailable() {
      return unavailable;
    },
    async request(args) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await inner.request(args);
        } catch (e) {
          if (!isTransientRpcError(e)) throw e;
          if (attempt >= attempts) {
            const why = oneLine(e instanceof Error ? e.message : String(e));
            const error = new RpcUnavailableError(
              `the node did not answer ${args.method} after ${attempts} attempts (${why}): ` +
                `the evidence could not be read; nothing was reported`,
            );
            unavailable ??= error;
            throw error;
          }
          await sleep(base * 2 ** (attempt - 1));
        }
      }
    },
  };
}
