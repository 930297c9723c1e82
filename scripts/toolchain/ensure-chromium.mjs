/**
 * `npm test`'s pretest step: the incident page is tested in real headless Chromium
 * (test/scripts/incident.render.ts), which npm cannot install. When neither `chromium` nor
 * `chromium-browser` is on PATH, this installs Debian's `chromium` package with apt-get (as root,
 * on a machine with Debian's package mirror), or says in one line how to. It never fails the
 * run itself: without Chromium, the render test fails with the same instruction.
 */
import { spawnSync } from "node:child_process";

const has = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;

if (!has("chromium") && !has("chromium-browser")) {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (root && has("apt-get")) {
    process.stderr.write("ensure-chromium: installing Debian's chromium for the render test\n");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    let r = spawnSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit", env });
    if (r.status !== 0) {
      spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
      r = spawnSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit", env });
    }
    if (r.status !== 0) {
      process.stderr.write("ensure-chromium: apt-get could not install chromium\n");
    }
  } else {
    process.stderr.write(
      "ensure-chromium: no chromium on PATH; the render test needs it: apt-get install -y chromium\n",
    );
  }
}
