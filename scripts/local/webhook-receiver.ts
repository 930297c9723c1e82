/**
 * npx tsx scripts/local/webhook-receiver.ts --out FILE [--url-file FILE] [--port N] [--fail-first N]
 *
 * A webhook receiver for the local flow's watch (.ci/run): listens on 127.0.0.1 (port 0: a free
 * one), and appends the body of every POST it accepts to FILE as one JSON line, in the order
 * received; an alert id received again is answered 200 and not written twice. Its URL goes to
 * stdout and to --url-file (written atomically, once it listens). With --fail-first N the first N
 * requests are answered 503 (the watch must retry them). Stops on SIGINT or SIGTERM.
 */
import { appendFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { fail, main, parseCliArgs, requireOption } from "../../src/ground/cli.js";

const NAME = "local/webhook-receiver";
const USAGE =
  "npx tsx scripts/local/webhook-receiver.ts --out FILE [--url-file FILE] [--port N] [--fail-first N]";

main(NAME, async () => {
  const args = parseCliArgs(
    {
      out: { type: "string" },
      "url-file": { type: "string" },
      port: { type: "string" },
      "fail-first": { type: "string" },
    },
    USAGE,
  );
  const out = requireOption(args.out, "--out", USAGE);
  const port = Number(args.port ?? "0");
  const failFirst = Number(args["fail-first"] ?? "0");
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail(`--port must be a port, got ${args.port}`);
  if (!Number.isInteger(failFirst) || failFirst < 0) {
    fail(`--fail-first must be a whole number, got ${args["fail-first"]}`);
  }
  writeFileSync(out, "");
  const seen = new Set<string>();
  let requests = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests++;
      if (req.method !== "POST") return void res.writeHead(405).end();
      if (requests <= failFirst) return void res.writeHead(503).end("try again");
      const body = Buffer.concat(chunks).toString("utf8");
      let id: string;
      try {
        id = String((JSON.parse(body) as { id?: unknown }).id);
      } catch {
        return void res.writeHead(400).end("not JSON");
      }
      if (!seen.has(id)) {
        seen.add(id);
        appendFileSync(out, body.trim() + "\n");
      }
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  }).catch((e: Error) => fail(`cannot listen on 127.0.0.1:${port}: ${e.message}`));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
  if (args["url-file"] !== undefined) {
    const tmp = `${args["url-file"]}.tmp`;
    writeFileSync(tmp, url + "\n");
    renameSync(tmp, args["url-file"]);
  }
  process.stdout.write(`${NAME}: listening on ${url}\n`);
  await new Promise<void>((resolve) => {
    for (const s of ["SIGINT", "SIGTERM"] as const) process.once(s, () => resolve());
  });
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  process.stdout.write(`${NAME}: stopped after ${requests} request(s), ${seen.size} alert(s)\n`);
});
