/**
 * A batch source over HTTP: GET of a URL made from a template by putting in the reference's hex
 * (`{ref}`) or its raw CIDv1 (`{cid}`). Any web server serving a store's `sha256/` folder is one
 * (`https://host/store/sha256/{ref}`); so is any IPFS gateway (`https://gateway/ipfs/{cid}`).
 */
import { fail, oneLine } from "../ground/cli.js";
import { type Ref, cidOfRef, refHex } from "./ref.js";
import type { BatchSource, FetchResult } from "./sources.js";

/** Timeouts and retries of an HttpSource (tests make them short). */
export interface HttpSourceOptions {
  /** Each request's limit, headers and body together. Default 30 s. */
  timeoutMs?: number;
  /** The pauses before each retry; their count is the number of retries. Default 200, 400, 800. */
  retryDelaysMs?: readonly number[];
}

/** One try: an answer, or a failure worth another try (network, timeout, 5xx, 429). */
type Try = FetchResult | { kind: "retry"; message: string };

/** An HTTP URL template as a source (see the module comment). */
export class HttpSource implements BatchSource {
  private readonly timeoutMs: number;
  private readonly retryDelaysMs: readonly number[];

  /** @throws CliError if `template` does not make an http(s) URL. */
  constructor(
    readonly label: string,
    options: HttpSourceOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retryDelaysMs = options.retryDelaysMs ?? [200, 400, 800];
    let url: URL;
    try {
      url = new URL(this.urlOf("0x" + "0".repeat(64)));
    } catch {
      fail(`batch source ${label} is not a valid URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      fail(`batch source ${label} is not an http:// or https:// URL`);
    }
  }

  /** The URL of `ref`. */
  urlOf(ref: Ref): string {
    const hex = refHex(ref);
    return this.label.replaceAll("{ref}", hex).replaceAll("{cid}", () => cidOfRef(ref));
  }

  async fetch(ref: Ref, maxBytes: number): Promise<FetchResult> {
    const url = this.urlOf(ref);
    const shown = withoutCredentials(url);
    let last = "";
    for (let attempt = 0; attempt <= this.retryDelaysMs.length; attempt++) {
      if (attempt > 0) await sleep(this.retryDelaysMs[attempt - 1]);
      const answer = await this.tryOnce(url, shown, maxBytes);
      if (answer.kind !== "retry") return answer;
      last = answer.message;
    }
    const tries = this.retryDelaysMs.length + 1;
    return { kind: "error", message: `${last} (${tries} attempt${tries === 1 ? "" : "s"})` };
  }

  private async tryOnce(url: string, shown: string, maxBytes: number): Promise<Try> {
    const timeout = `GET ${shown} timed out after ${this.timeoutMs / 1000} s`;
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      return { kind: "retry", message: isTimeout(e) ? timeout : `GET ${shown} failed: ${why(e)}` };
    }
    const status = response.status;
    if (status !== 200) {
      await discard(response);
      if (status === 404 || status === 410) return { kind: "not-found" };
      const message = `GET ${shown} answered HTTP ${status}`;
      return status === 429 || status >= 500
        ? { kind: "retry", message }
        : { kind: "error", message };
    }
    // A compressed body's Content-Length is not the size of what it decodes to.
    const length = Number(response.headers.get("content-length") ?? NaN);
    const encoded = (response.headers.get("content-encoding") ?? "identity") !== "identity";
    const tooLarge = (size: string): Try => ({
      kind: "too-large",
      message: `GET ${shown}: the body has ${size} bytes, over the limit of ${maxBytes}`,
    });
    if (!encoded && length > maxBytes) {
      await discard(response);
      return tooLarge(String(length));
    }
    try {
      const chunks: Uint8Array[] = [];
      let size = 0;
      if (response.body !== null) {
        const reader = response.body.getReader();
        for (let part = await reader.read(); !part.done; part = await reader.read()) {
          size += part.value.length;
          // Reading stops at the limit: a hostile server cannot fill the memory.
          if (size > maxBytes) {
            await reader.cancel().catch(() => undefined);
            return tooLarge(`more than ${maxBytes}`);
          }
          chunks.push(part.value);
        }
      }
      return { kind: "found", bytes: new Uint8Array(Buffer.concat(chunks, size)) };
    } catch (e) {
      const message = isTimeout(e) ? timeout : `GET ${shown}: the body broke off: ${why(e)}`;
      return { kind: "retry", message };
    }
  }
}

/** The URL for messages: a user:password in it stays out of logs. */
function withoutCredentials(url: string): string {
  const u = new URL(url);
  if (u.username === "" && u.password === "") return url;
  u.username = "";
  u.password = "";
  return u.href;
}

function isTimeout(e: unknown): boolean {
  return (e as Error | undefined)?.name === "TimeoutError";
}

/** Why fetch failed: Node puts the network error (ECONNREFUSED, ENOTFOUND, …) in `cause`. */
function why(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (cause?.code !== undefined) return cause.code;
  return oneLine(cause?.message ?? (e instanceof Error ? e.message : String(e)));
}

/** Drops a body unread (so the connection can be reused or closed). */
async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
