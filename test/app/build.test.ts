// The web app's build is reproducible: the same sources give the same build hash whatever the
// output folder or the checkout's path, and build.json and the service worker name exactly the
// files a browser gets.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { buildApp, buildHash, SHELL } from "../../app/build.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const run = promisify(execFile);
const temporary: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "steward-build-"));
  temporary.push(dir);
  return dir;
}

/** The sources the app is built from, copied to another path, with the same installed packages. */
function copyOfSources(): string {
  const copy = tempDir();
  for (const dir of ["app", "client", "crypto", "shared"])
    cpSync(join(root, dir), join(copy, dir), { recursive: true });
  for (const file of ["package.json", "tsconfig.json", "tsconfig.base.json"])
    cpSync(join(root, file), join(copy, file));
  symlinkSync(join(root, "node_modules"), join(copy, "node_modules"));
  return copy;
}

describe("the app build", () => {
  afterAll(() => {
    for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
  });

  it("gives the same hash into another folder and from a checkout at another path", async () => {
    const first = await buildApp({ outDir: tempDir() });
    const again = await buildApp({ outDir: tempDir() });
    expect(again).toEqual(first);
    const copy = copyOfSources();
    await run(process.execPath, ["--import", "tsx", "app/build.ts"], { cwd: copy });
    const elsewhere = JSON.parse(readFileSync(join(copy, "public/build.json"), "utf8")) as { hash: string };
    expect(elsewhere.hash).toBe(first.hash);
    expect(first.version).toBe(
      (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version,
    );
  });

  it("records every shell file's SHA-256 and the hash over them, and stamps them into the service worker", async () => {
    const out = tempDir();
    const info = await buildApp({ outDir: out });
    expect(Object.keys(info.files)).toEqual(SHELL);
    for (const name of SHELL)
      expect(info.files[name], name).toBe(
        createHash("sha256")
          .update(readFileSync(join(out, name)))
          .digest("hex"),
      );
    expect(info.hash).toBe(buildHash(info.files));
    expect(JSON.parse(readFileSync(join(out, "build.json"), "utf8"))).toEqual(info);
    const worker = readFileSync(join(out, "sw.js"), "utf8");
    for (const sha of [info.hash, ...Object.values(info.files)]) expect(worker).toContain(sha);
  });

  it("changes the hash with the release it names", async () => {
    const a = await buildApp({ outDir: tempDir(), version: "9.9.9-a" });
    const b = await buildApp({ outDir: tempDir(), version: "9.9.9-b" });
    expect(a.hash).not.toBe(b.hash);
  });
});
