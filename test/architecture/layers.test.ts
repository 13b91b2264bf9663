// The layering is a rule, not a habit: shared/ is pure code both sides load, crypto/ holds the
// libsodium-backed constructions only clients use, the server (worker/ and durable-objects/) never
// reaches libsodium or the client however indirectly, and each folder imports only the layers beneath
// it (docs/architecture.md draws them; each layer's tsconfig.json references the same ones).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
type Layer = "shared" | "crypto" | "client" | "durable-objects" | "worker" | "app" | "bridge";

/** What each layer may import from the project (npm packages are judged separately). */
const allowed: Record<Layer, readonly Layer[]> = {
  shared: ["shared"],
  crypto: ["crypto", "shared"],
  client: ["client", "crypto", "shared"],
  "durable-objects": ["durable-objects", "shared"],
  worker: ["worker", "durable-objects", "shared"],
  app: ["app", "client"],
  bridge: ["bridge", "client", "crypto", "shared"],
};
const serverForbiddenPackages = /^(libsodium-wrappers(-sumo)?|dexie|fake-indexeddb)$/;

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith(".d.ts"))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

interface Imports {
  files: string[];
  packages: string[];
}
const cache = new Map<string, Imports>();

function importsOf(file: string): Imports {
  const known = cache.get(file);
  if (known) return known;
  const info = ts.preProcessFile(readFileSync(join(root, file), "utf8"), true, true);
  const found: Imports = { files: [], packages: [] };
  for (const { fileName } of info.importedFiles) {
    if (!fileName.startsWith(".")) {
      found.packages.push(
        fileName.startsWith("@") ? fileName.split("/").slice(0, 2).join("/") : fileName.split("/")[0]!,
      );
      continue;
    }
    const target = relative(root, resolve(root, dirname(file), fileName));
    const candidates = [target.replace(/\.js$/, ".ts"), target.replace(/\.js$/, ".tsx"), target, `${target}.ts`];
    const hit = candidates.find((c) => existsSync(join(root, c)) && /\.tsx?$/.test(c));
    if (hit) found.files.push(hit);
  }
  cache.set(file, found);
  return found;
}

/** Every project file and package `file` reaches, with the chain that reaches it. */
function reach(file: string): Map<string, string[]> {
  const chains = new Map<string, string[]>([[file, [file]]]);
  const queue = [file];
  while (queue.length > 0) {
    const at = queue.shift()!;
    const chain = chains.get(at)!;
    const { files, packages } = importsOf(at);
    for (const p of packages) if (!chains.has(`npm:${p}`)) chains.set(`npm:${p}`, [...chain, `npm:${p}`]);
    for (const f of files) {
      if (chains.has(f)) continue;
      chains.set(f, [...chain, f]);
      queue.push(f);
    }
  }
  return chains;
}

const layerOf = (file: string) => file.split("/")[0] as Layer;

describe("layers", () => {
  for (const layer of Object.keys(allowed) as Layer[]) {
    it(`${layer}/ imports only ${allowed[layer].join(", ")}`, () => {
      const wrong = sources(layer).flatMap((file) =>
        importsOf(file)
          .files.filter((f) => !allowed[layer].includes(layerOf(f)))
          .map((f) => `${file} imports ${f}`),
      );
      expect(wrong).toEqual([]);
    });
  }

  it("each layer's tsconfig.json references exactly the layers it may import (tsc -b checks them apart)", () => {
    for (const layer of ["shared", "crypto", "client", "durable-objects", "worker", "app"] as const) {
      const config = JSON.parse(readFileSync(join(root, layer, "tsconfig.json"), "utf8")) as {
        references?: { path: string }[];
      };
      const referenced = (config.references ?? []).map((r) => relative(root, resolve(root, layer, r.path)));
      expect(referenced.sort(), layer).toEqual(allowed[layer].filter((l) => l !== layer).sort());
    }
  });

  it("the web app uses the SDK through its public surface (client/index.ts) alone", () => {
    const around = sources("app").flatMap((file) =>
      importsOf(file)
        .files.filter((f) => layerOf(f) !== "app" && f !== "client/index.ts")
        .map((f) => `${file} imports ${f}`),
    );
    expect(around).toEqual([]);
  });

  it("the server never reaches libsodium, Dexie or the client, however indirectly", () => {
    const leaks: string[] = [];
    for (const file of [...sources("worker"), ...sources("durable-objects")]) {
      for (const [target, chain] of reach(file)) {
        const bad = target.startsWith("npm:")
          ? serverForbiddenPackages.test(target.slice(4))
          : layerOf(target) === "client";
        if (bad) leaks.push(chain.join(" -> "));
      }
    }
    expect(leaks).toEqual([]);
  });

  it("shared/ loads no libsodium: the server may import any of it", () => {
    const wrapped = sources("shared").filter((f) => importsOf(f).packages.some((p) => serverForbiddenPackages.test(p)));
    expect(wrapped).toEqual([]);
  });

  it("catches a file that reaches libsodium through crypto/", () => {
    const crypto = sources("crypto").find((f) => importsOf(f).packages.some((p) => serverForbiddenPackages.test(p)));
    expect(crypto, "some crypto module wraps libsodium").toBeDefined();
    const user = sources("client").find((f) => importsOf(f).files.includes(crypto!));
    expect(user, "some client module uses it").toBeDefined();
    expect([...reach(user!).keys()].some((t) => serverForbiddenPackages.test(t.slice(4)))).toBe(true);
  });
});
