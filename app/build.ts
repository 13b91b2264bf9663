// Builds the web app into public/ (the worker's static assets): the bundle, the service worker
// stamped with a hash of everything it caches (so a new build replaces the old cache), the page,
// styles and manifest. Run by `npm start`, `npm test` and `npm run build`; every output keeps its
// name, so files are overwritten in place and a worker already serving public/ never sees it empty.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const out = fileURLToPath(new URL("../public/", import.meta.url));

/** The files the service worker keeps for offline start-up; "./" is the page itself. */
export const SHELL = ["./", "app.js", "app.css", "manifest.webmanifest", "icon.svg"];

export async function buildApp(): Promise<void> {
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
    // uPlot's stylesheet and ours end up in one app.css (main.tsx imports styles.css).
    loader: { ".css": "css" },
    logLevel: "warning",
  });
  for (const file of ["index.html", "manifest.webmanifest", "icon.svg"]) copyFileSync(`${here}${file}`, `${out}${file}`);
  const digest = createHash("sha256");
  for (const file of SHELL.filter((f) => f !== "./")) digest.update(readFileSync(`${out}${file}`));
  const version = digest.digest("hex").slice(0, 16);
  await build({
    entryPoints: [`${here}serviceWorker.ts`],
    outfile: `${out}sw.js`,
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    minify: true,
    define: { SHELL_VERSION: JSON.stringify(version), SHELL_FILES: JSON.stringify(SHELL) },
    logLevel: "warning",
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildApp();
  console.log(`web app built into ${out}`);
}
