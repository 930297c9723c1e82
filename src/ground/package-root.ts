/**
 * Where the package's own files are (contracts/, artifacts/, deploy/deployments/): the folder of
 * the nearest package.json named "rollback-trail" above this module. The same code runs from the
 * repository's src/ (through tsx) and from an installed package's dist/src/, so a fixed number of
 * "../" would be right in one place only.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package's name in its package.json. */
export const PACKAGE_NAME = "rollback-trail";

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === PACKAGE_NAME)
          return dir;
      } catch {
        // An unreadable package.json on the way up is not ours: keep looking.
      }
    }
    if (dirname(dir) === dir) {
      throw new Error(`package.json of ${PACKAGE_NAME} not found above ${from}`);
    }
  }
}

let root: string | undefined;

/**
 * The package root (e.g. /work/main, or …/node_modules/rollback-trail), found on first use, not at
 * import: a bundle that moved this module elsewhere can still import the SDK, and fails only when
 * it reads one of the package's files.
 */
export function packageRoot(): string {
  root ??= findRoot(dirname(fileURLToPath(import.meta.url)));
  return root;
}
