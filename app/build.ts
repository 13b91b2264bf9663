// Builds the web app into public/ (the worker's static assets): the bundle, the page, styles and
// manifest, then `build.json` (the release version, each shell file's SHA-256 and the build hash
// over them) and the service worker stamped with both. The build is reproducible: the same
// sources and lock file give the same hash on any machine and path, so anyone can rebuild a
// release and compare the hash with the one its About screen shows and README publishes.
// Run by `npm start`, `npm test` and `npm run build`; every output keeps its name, so files are
// overwritten in place and a worker already serving public/ never sees it empty.

import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = fileURLToPath(new URL(".", import.meta.url));
const publicDir = fileURLToPath(new URL("../public/", import.meta.url));

/** The files the service worker keeps for offline start-up, hashed into the build hash; "./" is the page. */
export const SHELL = ["index.html", "app.js", "app.css", "manifest.webmanifest", "icon.svg"];

export interface BuildInfo {
  /** The release (package.json "version"). */
  readonly version: string;
  /** SHA-256 over the shell files' names and hashes, hex: what the About screen shows. */
  readonly hash: string;
  /** Each shell file's SHA-256, hex. */
  readonly files: Readonly<Record<string, string>>;
}

export interface BuildOptions {
  /** Where to write; public/ by default. */
  readonly outDir?: string;
  /** The release name; package.json's version by default. */
  readonly version?: string;
}

function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The build hash: SHA-256 of one "name sha256" line per shell file, in SHELL order. */
export function buildHash(files: Readonly<Record<string, string>>): string {
  return sha256(SHELL.map((name) => `${name} ${files[name]}\n`).join(""));
}

export async function buildApp(options: BuildOptions = {}): Promise<BuildInfo> {
  const out = options.outDir ?? publicDir;
  const version =
    options.version ?? (JSON.parse(readFileSync(`${here}../package.json`, "utf8")) as { version: string }).version;
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: { app: `${here}main.tsx` },
    outdir: out,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    jsx: "automatic",
    jsxImportSource: "preact",
    minify: true,
    sourcemap: "linked",
    // Paths in the source map relative to the sources, so the same on every checkout.
    sourceRoot: "",
    define: { APP_VERSION: JSON.stringify(version) },
    // uPlot's stylesheet and ours end up in one app.css (main.tsx imports styles.css).
    loader: { ".css": "css" },
    logLevel: "warning",
  });
  for (const file of ["index.html", "manifest.webmanifest", "icon.svg"])
    copyFileSync(`${here}${file}`, `${out}/${file}`);
  const files = Object.fromEntries(SHELL.map((name) => [name, sha256(readFileSync(`${out}/${name}`))]));
  const info: BuildInfo = { version, hash: buildHash(files), files };
  writeFileSync(`${out}/build.json`, `${JSON.stringify(info, null, 2)}\n`);
  await build({
    entryPoints: [`${here}serviceWorker.ts`],
    outfile: `${out}/sw.js`,
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    minify: true,
    define: { BUILD: JSON.stringify(info) },
    logLevel: "warning",
  });
  return info;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const info = await buildApp();
  console.log(`web app ${info.version} built into ${publicDir}\nbuild hash ${info.hash}`);
}
