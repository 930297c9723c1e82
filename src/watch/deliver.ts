/**
 * Delivering alerts to a webhook: each alert is POSTed as JSON (the alert object itself, with the
 * headers `x-watch-alert-id` and `x-watch-alert-kind`), one at a time, in the order raised. A
 * delivery is retried with exponential backoff when the receiver does not answer in time, cannot
 * be reached, or answers 408, 429 or 5xx; another 4xx is the receiver's refusal and is not
 * retried. After the last attempt the alert is lost: `onLost` says so (the CLI prints it on stderr)
 * and the next alert goes. The queue runs beside the follow loop, which never waits for it; so a
 * receiver that never answers costs at most `attempts × (timeoutMs + backoff)` per alert and
 * blocks nothing but the alerts behind it. Delivery is at least once: a receiver drops a
 * redelivered alert by its `id`.
 */
import { oneLine } from "../ground/cli.js";
import type { Alert } from "./alert.js";

export interface WebhookOptions {
  url: string;
  /** Attempts per alert, the first included (default 5). */
  attempts?: number;
  /** How long one attempt may take, answer included (default 5000 ms). */
  timeoutMs?: number;
  /** Delay before the second attempt, doubled after each, at most maxDelayMs (500, 10000 ms). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  onDelivered?: (alert: Alert, attempts: number) => void;
  onRetry?: (alert: Alert, attempt: number, why: string, delayMs: number) => void;
  onLost?: (alert: Alert, why: string, attempts: number) => void;
}

/** The outcome of one POST: delivered, worth retrying, or refused for good. */
type Attempt = { ok: true } | { ok: false; retry: boolean; why: string };

async function post(
  url: string,
  alert: Alert,
  timeoutMs: number,
  stop: AbortSignal,
): Promise<Attempt> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-watch-alert-id": alert.id,
        "x-watch-alert-kind": alert.kind,
      },
      body: JSON.stringify(alert),
      signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), stop]),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return { ok: true };
    const retry = res.status === 408 || res.status === 429 || res.status >= 500;
    return { ok: false, retry, why: `HTTP ${res.status}${retry ? "" : " (refused)"}` };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why = stop.aborted
      ? "stopped"
      : err.name === "TimeoutError" || err.name === "AbortError"
        ? `no answer within ${timeoutMs} ms`
        : oneLine(err.cause?.code ?? err.cause?.message ?? err.message);
    return { ok: false, retry: true, why };
  }
}

/** An ordered delivery queue to one webhook (see the file doc). */
export class WebhookQueue {
  private readonly queue: Alert[] = [];
  private worker: Promise<void> | undefined;
  private closed = false;
  private readonly stop = new AbortController();
  private wake: (() => void) | undefined;
  private idleWaiters: Array<(empty: boolean) => void> = [];
  private readonly attempts: number;
  private readonly timeoutMs: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  /** Delivered and lost so far. */
  delivered = 0;
  lost = 0;

  constructor(private readonly options: WebhookOptions) {
    this.attempts = options.attempts ?? 5;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
  }

  /** Alerts not yet delivered (nor lost), the one in flight first. */
  get pending(): Alert[] {
    return [...this.queue];
  }

  /** Queues `alert` after every alert queued before it. */
  enqueue(alert: Alert): void {
    if (this.closed) throw new Error("the webhook queue is closed");
    this.queue.push(alert);
    this.worker ??= this.run();
  }

  /** Resolves once every queued alert is delivered or lost, or after `timeoutMs`: true if empty. */
  async drain(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    if (this.queue.length === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(resolve));
    const late =
      timeoutMs === Number.POSITIVE_INFINITY
        ? new Promise<boolean>(() => {})
        : new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), timeoutMs);
          });
    const empty = await Promise.race([idle, late]);
    if (timer !== undefined) clearTimeout(timer);
    return empty;
  }

  /** Stops, cutting the attempt in flight short; what is not delivered stays in `pending`. */
  async close(): Promise<void> {
    this.closed = true;
    this.stop.abort();
    this.wake?.();
    await this.worker;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async run(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.closed) {
        const alert = this.queue[0];
        let attempt = 0;
        let outcome: Attempt = { ok: false, retry: true, why: "not sent" };
        for (;;) {
          attempt++;
          outcome = await post(this.options.url, alert, this.timeoutMs, this.stop.signal);
          if (outcome.ok || !outcome.retry || attempt >= this.attempts || this.closed) break;
          const delay = Math.min(this.baseDelayMs * 2 ** (attempt - 1), this.maxDelayMs);
          this.options.onRetry?.(alert, attempt, outcome.why, delay);
          await this.sleep(delay);
          if (this.closed) break;
        }
        if (!outcome.ok && this.closed) break;
        this.queue.shift();
        if (outcome.ok) {
          this.delivered++;
          this.options.onDelivered?.(alert, attempt);
        } else {
          this.lost++;
          this.options.onLost?.(alert, outcome.why, attempt);
        }
      }
    } finally {
      this.worker = undefined;
      if (this.queue.length === 0 || this.closed) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w(this.queue.length === 0);
      }
    }
  }
}
