// Every test file belongs to a suite `npm test` runs: a file in a folder no project includes would
// pass by never running (as a moved folder once nearly did).
import { readdirSync } from "node:fs";
import { join, matchesGlob, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import browser from "../app/vitest.config.js";
import root from "../../vitest.config.js";

const repo = resolve(import.meta.dirname, "../..");

describe("suites", () => {
  it("include every test file in the repository", () => {
    const projects = (root.test?.projects ?? []) as { test?: { include?: string[] } }[];
    const globs = [...projects.flatMap((p) => p.test?.include ?? []), ...(browser.test?.include ?? [])];
    const files = readdirSync(join(repo, "test"), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith(".test.ts"))
      .map((e) => relative(repo, join(e.parentPath, e.name)));
    expect(files.length).toBeGreaterThan(50);
    expect(files.filter((f) => !globs.some((g) => matchesGlob(f, g)))).toEqual([]);
  });
});
