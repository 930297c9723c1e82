/**
 * A batch store over real HTTP on 127.0.0.1 for the incident tests (built on ./http-server.ts):
 * serves files by their reference (`/batches/<64 hex>` or `/ipfs/<cid>`), either as stored or
 * with one byte altered (a store that lies).
 */
import { cidOfRef, sha256Ref } from "../../src/store/index.js";
import { serve } from "./http-server.js";

export interface HttpStore {
  /** The --source template of this store, e.g. http://127.0.0.1:PORT/batches/{ref}. */
  template: string;
  /** The same files as an IPFS gateway serves them: http://127.0.0.1:PORT/ipfs/{cid}. */
  cidTemplate: string;
  close(): Promise<void>;
}

export async function startHttpStore(
  files: Uint8Array[],
  mode: "as-stored" | "altered" = "as-stored",
): Promise<HttpStore> {
  const byPath = new Map<string, Uint8Array>();
  for (const bytes of files) {
    const ref = sha256Ref(bytes);
    const served = Uint8Array.from(bytes);
    if (mode === "altered") served[Math.floor(served.length / 2)] ^= 0x01;
    byPath.set(`/batches/${ref.slice(2)}`, served);
    byPath.set(`/ipfs/${cidOfRef(ref)}`, served);
  }
  const server = await serve((req, res) => {
    const body = byPath.get(req.url ?? "");
    if (body === undefined) res.writeHead(404).end("not found");
    else res.writeHead(200, { "content-type": "application/octet-stream" }).end(body);
  });
  return {
    template: `${server.base}/batches/{ref}`,
    cidTemplate: `${server.base}/ipfs/{cid}`,
    close: () => server.close(),
  };
}
