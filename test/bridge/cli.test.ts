// The steward-bridge command as a person meets it: help, and refusals that say what to do.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

function run(...args: string[]) {
  const result = spawnSync(process.execPath, ["bridge/bin.mjs", ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, STEWARD_BRIDGE_PASSPHRASE: "correct horse battery staple" },
    timeout: 60_000,
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe("steward-bridge", () => {
  it("explains its commands", () => {
    const help = run("help");
    expect(help.code).toBe(0);
    for (const command of ["link", "follow", "start", "secret", "safety-number", "--lan"])
      expect(help.out).toContain(command);
    expect(run("frobnicate").code).toBe(2);
  });

  it("refuses to listen beyond this machine without --lan, a folder with no bridge, a short passphrase and an unknown flag", () => {
    const dir = mkdtempSync(join(tmpdir(), "bridge-cli-"));
    try {
      const wide = run("start", "--dir", dir, "--host", "0.0.0.0");
      expect(wide.code).toBe(1);
      expect(wide.err).toMatch(/0\.0\.0\.0 is reachable from other machines: add --lan/);
      const empty = run("start", "--dir", dir);
      expect(empty.code).toBe(1);
      expect(empty.err).toMatch(/holds no bridge yet: run "steward-bridge link"/);
      const short = spawnSync(
        process.execPath,
        ["bridge/bin.mjs", "link", "--dir", join(dir, "new"), "--server", "http://127.0.0.1:9"],
        { cwd: root, encoding: "utf8", env: { ...process.env, STEWARD_BRIDGE_PASSPHRASE: "short" } },
      );
      expect(short.status).toBe(1);
      expect(short.stderr).toMatch(/at least 12 characters/);
      const flag = run("start", "--colour");
      expect(flag.code).toBe(1);
      expect(flag.err).toMatch(/Unknown option '--colour'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
