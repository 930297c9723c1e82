/**
 * Real HTTP servers for the tests of HTTP sources: node:http on 127.0.0.1 at a free port.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { refHex } from "../../src/store/index.js";

/** Answers one request. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A running server: its base URL, the paths it was asked, and how to stop it. */
export interface TestServer {
  base: string;
  paths: string[];
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 (a free port) answering with `handler`, logging the paths asked. */
export async function serve(handler: Handler): Promise<TestServer> {
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    paths.push(req.url ?? "");
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        // Keep-alive connections would hold close() open.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A server answering `body` at /<hex of ref>, 404 elsewhere. */
export function serveAt(ref: string, body: Uint8Array): Promise<TestServer> {
  return serve((req, res) => {
    if (req.url === `/${refHex(ref)}`) res.end(body);
    else res.writeHead(404).end("no");
  });
}
