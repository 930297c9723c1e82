/**
 * A real HTTP batch store on 127.0.0.1 for the tests: serves files by their reference
 * (`/batches/<64 hex>` or `/ipfs/<cid>`), either as stored or with one byte altered (a store that
 * lies), and counts the requests it answered.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { cidOfRef, sha256Ref } from "../../scripts/lib/store/index.js";

export interface HttpStore {
  /** The --source template of this store, e.g. http://127.0.0.1:PORT/batches/{ref}. */
  template: string;
  cidTemplate: string;
  requests: number;
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
  const store: HttpStore = { template: "", cidTemplate: "", requests: 0, close: async () => {} };
  const server: Server = createServer((req, res) => {
    store.requests++;
    const body = byPath.get(req.url ?? "");
    if (body === undefined) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": "application/octet-stream" }).end(Buffer.from(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  store.template = `http://127.0.0.1:${port}/batches/{ref}`;
  store.cidTemplate = `http://127.0.0.1:${port}/ipfs/{cid}`;
  store.close = () =>
    new Promise<void>((resolve, reject) => {
      server.close((e) => (e ? reject(e) : resolve()));
      server.closeAllConnections(); // fetch keeps connections alive
    });
  return store;
}
