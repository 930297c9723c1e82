/**
 * Test double: an EIP-1193 provider in front of a real one that fails some requests the way a
 * node over HTTP does when the connection drops (Hardhat 3's HTTP provider throws code -1,
 * "Failed to make POST request"), to test that the tools retry such
 * failures and never report them as the chain's answers.
 */
import type { Eip1193Provider } from "../../src/chain/rpc-retry.js";

export class FlakyEip1193ProviderTestDouble implements Eip1193Provider {
  /** Requests received, and how many were failed. */
  requests = 0;
  failed = 0;

  /**
   * @param inner the real provider
   * @param failEvery fail every n-th request (0: never)
   * @param dieAfter fail every request after this many (Infinity: never)
   */
  constructor(
    private readonly inner: Eip1193Provider,
    private readonly failEvery: number,
    private readonly dieAfter = Number.POSITIVE_INFINITY,
  ) {}

  async request(args: { method: string; params?: unknown[] | Record<string, unknown> }) {
    this.requests++;
    if (
      this.requests > this.dieAfter ||
      (this.failEvery > 0 && this.requests % this.failEvery === 0)
    ) {
      this.failed++;
      // What Hardhat 3's HTTP provider throws for a reset connection or an HTTP 5xx: code -1.
      throw Object.assign(
        new Error(
          `Failed to make POST request to http://127.0.0.1:8545 (test double: connection reset)`,
        ),
        { code: -1 },
      );
    }
    return this.inner.request(args);
  }
}
