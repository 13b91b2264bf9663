// Starts the real worker (wrangler dev, workerd) on a free loopback port with its own storage
// folder, for suites that drive real clients against it across processes.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** A loopback port nothing listens on now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export interface LocalWorker {
  readonly url: string;
  stop(): Promise<void>;
}

export interface WorkerOptions {
  /** `--var` pairs; the default runs as a development deployment, with its built-in session secret. */
  readonly vars?: Readonly<Record<string, string>>;
  /** The web app's files to serve instead of public/. */
  readonly assets?: string;
  /** A persisted state folder to start from (copied: the worker never writes to it). */
  readonly from?: string;
  /**
   * Runs a copy of the worker bundle and its assets made at start. `wrangler dev` otherwise watches
   * the checkout and restarts the worker when a source file or public/ changes (a build, a test run
   * in the same checkout); a request in flight then fails with its proxy's 503 "Your worker
   * restarted mid-request". A long run (the benchmarks) must not depend on nobody saving a file.
   */
  readonly frozen?: boolean;
}

/**
 * Bundles the worker as a deploy would into `dir`, with a copy of the assets and of wrangler.toml
 * naming them; returns wrangler dev's arguments to run that copy.
 */
function freeze(dir: string, assets: string): string[] {
  execFileSync(join(root, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", join(dir, "worker")], {
    cwd: root,
    stdio: "ignore",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
  cpSync(assets, join(dir, "public"), { recursive: true });
  const config = readFileSync(join(root, "wrangler.toml"), "utf8");
  const main = 'main = "worker/index.ts"';
  if (!config.includes(main))
    throw new Error(`wrangler.toml no longer says ${main}: update freeze() in test/e2e/localWorker.ts`);
  writeFileSync(join(dir, "wrangler.toml"), config.replace(main, 'main = "worker/index.js"\nno_bundle = true'));
  return ["--config", join(dir, "wrangler.toml")];
}

export async function startWorker(options: WorkerOptions = {}): Promise<LocalWorker> {
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), "steward-e2e-"));
  if (options.from) cpSync(options.from, state, { recursive: true });
  const frozen = options.frozen ? mkdtempSync(join(tmpdir(), "steward-worker-")) : undefined;
  const script = frozen ? freeze(frozen, options.assets ?? join(root, "public")) : [];
  const vars = Object.entries(options.vars ?? { ENVIRONMENT: "development" }).flatMap(([k, v]) => [
    "--var",
    `${k}:${v}`,
  ]);
  const assets = frozen ? [] : options.assets ? ["--assets", options.assets] : [];
  const args = [
    "dev",
    ...script,
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--persist-to",
    state,
    "--inspector-port",
    "0",
    "--show-interactive-dev-session=false",
    ...vars,
    ...assets,
  ];
  const child: ChildProcess = spawn(join(root, "node_modules/.bin/wrangler"), args, {
    cwd: root,
    // No Request.cf download: these machines (and CI) may have no route to workers.cloudflare.com.
    // No local trace store or explorer either: wrangler dev's own tooling, which records every
    // request in its process (about 3 ms a request) and is no part of the worker as deployed.
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      CI: "true",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      X_LOCAL_OBSERVABILITY: "false",
      X_LOCAL_EXPLORER: "false",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${output}`);
    try {
      // The worker's own answer: healthy, or (a deployment without its secret) misconfigured.
      const body = (await (await fetch(`${url}/health`)).json().catch(() => null)) as {
        service?: string;
        error?: { code?: string };
      } | null;
      if (body?.service === "steward" || body?.error?.code === "misconfigured") break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`wrangler dev did not answer /health within 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(state, { recursive: true, force: true });
      if (frozen) rmSync(frozen, { recursive: true, force: true });
    },
  };
}
