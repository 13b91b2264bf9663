// `npm start` as a newcomer runs it on a machine without a route to Cloudflare: the start script's
// `wrangler dev`, moved to ports of their choosing (`npm start -- --port N --inspector-port M`, as the
// README says), answers on loopback and prints no getaddrinfo stacks or other errors on the way.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../e2e/localWorker.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const state = mkdtempSync(join(tmpdir(), "steward-start-"));

/** The start script after its build step (the tests build once), keeping its own state out of the checkout. */
function startCommand(): string {
  const { scripts } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: { start: string } };
  const [build, run] = scripts.start.split(" && ");
  expect(build).toBe("npm run build");
  expect(run).toContain("--persist-to .wrangler/state");
  return run!.replace("--persist-to .wrangler/state", `--persist-to ${state}`);
}

afterAll(() => rmSync(state, { recursive: true, force: true }));

describe("npm start", () => {
  it("serves on the port and inspector port asked for, quietly", async () => {
    const [port, inspector] = [await freePort(), await freePort()];
    // As `npm run` does: the package's bin folder (and its Node 22) first on PATH.
    const path = `${join(root, "node_modules/.bin")}:${dirname(process.execPath)}:${process.env.PATH}`;
    const child = spawn("sh", ["-c", `${startCommand()} --port ${port} --inspector-port ${inspector}`], {
      cwd: root,
      env: { ...process.env, PATH: path, WRANGLER_SEND_METRICS: "false" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    try {
      const deadline = Date.now() + 90_000;
      while (!output.includes(`Ready on http://127.0.0.1:${port}`)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toEqual({ ok: true, service: "steward" });
      expect(
        ((await (await fetch(`http://127.0.0.1:${inspector}/json/version`)).json()) as { Browser: string }).Browser,
      ).toMatch(/^wrangler/);
      expect(output).not.toMatch(/getaddrinfo|ENOTFOUND|\bError\b|^\s+at /m);
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      process.kill(-child.pid!, "SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) process.kill(-child.pid!, "SIGKILL");
    }
  }, 120_000);
});
