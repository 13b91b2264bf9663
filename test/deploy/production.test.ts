// The production build, as `npm run deploy` makes it: `wrangler deploy --dry-run` bundles it without
// uploading, and the same wrangler.toml is then run with no development switch. It fails closed
// without its secret, refuses a token forged with any value written in this repository, and serves
// the app with its security headers.
import { execFile } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ByteWriter, toBase64Url } from "../../shared/bytes.js";
import { startWorker, type LocalWorker } from "../e2e/localWorker.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const run = promisify(execFile);
const wrangler = join(root, "node_modules/.bin/wrangler");
const ACCOUNT = "0123456789abcdef0123456789abcdef";

/** A session token as worker/session.ts makes them, under `secret`. */
function forgedToken(secret: string): string {
  const payload = new ByteWriter(24)
    .raw(Buffer.from(ACCOUNT, "hex"))
    .u64(Date.now() + 3_600_000)
    .finish();
  const mac = createHmac("sha256", Buffer.from(secret, "utf8"))
    .update(Buffer.concat([Buffer.from("steward/session/v1\0"), payload]))
    .digest();
  return `v1.${toBase64Url(payload)}.${toBase64Url(mac)}`;
}

/**
 * Every quoted string without spaces and every word of the repository's tracked files (the lock
 * file's hashes aside) long enough for a production SESSION_SECRET (shorter ones are refused at
 * start, see below), and the development secret: each a value someone could forge a token with.
 */
async function committedValues(): Promise<string[]> {
  const { stdout } = await run("git", ["ls-files"], { cwd: root, maxBuffer: 16 << 20 });
  const values = new Set<string>();
  for (const file of stdout.split("\n").filter((f) => f && f !== "package-lock.json")) {
    let text: string;
    try {
      text = readFileSync(join(root, file), "utf8").slice(0, 200_000);
    } catch {
      continue;
    }
    for (const m of text.matchAll(/"([^"\s]{43,400})"|'([^'\s]{43,400})'|`([^`\s]{43,400})`/g))
      values.add(m[1] ?? m[2] ?? m[3]!);
    for (const word of text.split(/[\s"'`,;()[\]{}<>=]+/))
      if (word.length >= 43 && word.length <= 400) values.add(word);
    for (const m of text.matchAll(/DEVELOPMENT_SECRET = "([^"]+)"/g)) values.add(m[1]!);
  }
  return [...values];
}

describe("the production build", () => {
  it("bundles with `wrangler deploy --dry-run`, production vars and no development switch", async () => {
    const out = mkdtempSync(join(tmpdir(), "steward-dry-run-"));
    try {
      const { stdout } = await run(wrangler, ["deploy", "--dry-run", "--outdir", out], {
        cwd: root,
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
      });
      for (const binding of [
        "env.ACCOUNT (Account)",
        "env.PATIENT_LOG (PatientLog)",
        "env.RENDEZVOUS (Rendezvous)",
        "env.ANONYMOUS_LIMIT",
        "env.LOOKUP_LIMIT",
        "env.ASSETS",
        'env.ENVIRONMENT ("production")',
      ])
        expect(stdout).toContain(binding);
      expect(stdout).not.toContain("SESSION_SECRET");
      const bundle = readFileSync(join(out, "index.js"), "utf8");
      expect(bundle).toMatch(/export \{[^}]*\bAccount,[^}]*\bPatientLog,[^}]*\bRendezvous,/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  describe("without its secret", () => {
    let worker: LocalWorker;
    beforeAll(async () => {
      worker = await startWorker({ vars: {} });
    });
    afterAll(() => worker?.stop());

    it("serves nothing and says why, whatever the token", async () => {
      for (const path of ["/health", "/", "/v1/inbox", "/v1/auth/login"]) {
        const res = await fetch(`${worker.url}${path}`, {
          headers: { authorization: `Bearer ${forgedToken("steward-local-development-only-secret")}` },
        });
        expect(res.status, path).toBe(503);
        const { error } = (await res.json()) as { error: { code: string; message: string } };
        expect(error.code).toBe("misconfigured");
        expect(error.message).toMatch(/wrangler secret put SESSION_SECRET/);
      }
    });
  });

  describe("with a secret written in the repository", () => {
    let worker: LocalWorker;
    beforeAll(async () => {
      worker = await startWorker({ vars: { SESSION_SECRET: "steward-local-development-only-secret" } });
    });
    afterAll(() => worker?.stop());

    it("refuses to serve", async () => {
      const res = await fetch(`${worker.url}/health`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/development value/);
    });
  });

  describe("with its secret", () => {
    const secret = randomBytes(48).toString("base64");
    let worker: LocalWorker;
    beforeAll(async () => {
      worker = await startWorker({ vars: { SESSION_SECRET: secret } });
    });
    afterAll(() => worker?.stop());

    it("refuses a token forged with any value committed in the repository", async () => {
      // The forging itself is right: under the deployment's own secret the token opens the inbox.
      expect(
        (await fetch(`${worker.url}/v1/inbox`, { headers: { authorization: `Bearer ${forgedToken(secret)}` } })).status,
      ).toBe(200);
      const values = await committedValues();
      expect(values).toContain("steward-local-development-only-secret");
      const accepted: string[] = [];
      for (let i = 0; i < values.length; i += 100) {
        const batch = values.slice(i, i + 100);
        const statuses = await Promise.all(
          batch.map(
            async (value) =>
              (await fetch(`${worker.url}/v1/inbox`, { headers: { authorization: `Bearer ${forgedToken(value)}` } }))
                .status,
          ),
        );
        for (const [j, status] of statuses.entries()) if (status !== 401) accepted.push(`${batch[j]} → ${status}`);
      }
      expect(accepted).toEqual([]);
    }, 300_000);

    it("serves the app and the API with its security headers", async () => {
      for (const path of ["/", "/app.js", "/health"]) {
        const res = await fetch(`${worker.url}${path}`);
        expect(res.status, path).toBe(200);
        const csp = res.headers.get("content-security-policy") ?? "";
        expect(csp, path).toContain("script-src 'self' 'wasm-unsafe-eval'");
        expect(csp, path).toContain(`connect-src 'self' ws://${new URL(worker.url).host}`);
        expect(csp, path).toContain("frame-ancestors 'none'");
        expect(csp, path).not.toContain("unsafe-inline");
        expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
        expect(res.headers.get("referrer-policy"), path).toBe("no-referrer");
        expect(res.headers.get("permissions-policy"), path).toContain("camera=()");
        await res.arrayBuffer();
      }
    });
  });
});
