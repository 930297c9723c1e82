/**
 * Transient RPC failures, retried below ethers: a node that blips (a dropped connection, a
 * timeout, a rate limit) must not read as an on-chain answer. The tools that read evidence
 * (`npm run incident`) put {@link retryingProvider} between ethers and the network connection, so
 * every read is retried with backoff and a node that stays away ends the command with one line
 * ({@link RpcUnavailableError}) instead of a report that silently lacks what it could not read.
 *
 * What counts as transient: a failure without a JSON-RPC error code (the request never got an
 * answer: connection refused or reset, timeout, "Failed to make POST request"), HTTP 429 and
 * JSON-RPC -32005 (limit exceeded). An error the node answered with (a revert, invalid params)
 * is passed through at once: retrying cannot change it.
 */
import { CliError, oneLine } from "./cli.js";

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

/** Codes of answers that say "not now" rather than "no". */
const RETRYABLE_CODES = new Set([429, -32005]);

function codeOf(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

/** Whether `e`, thrown by an EIP-1193 request, may succeed when the request is sent again. */
export function isTransientRpcError(e: unknown): boolean {
  const code = codeOf(e);
  if (code !== undefined) return RETRYABLE_CODES.has(code);
  return true;
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
