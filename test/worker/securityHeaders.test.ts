// The headers the real worker puts on the web app and the API: a strict CSP (no inline script, the
// API's own origin only, no framing), nosniff, no referrer, and no powerful browser features.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BASE } from "../helpers/api.js";

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .map(([name, ...values]) => [name!, values]),
  );
}

function expectHardened(res: Response, what: string): void {
  const csp = directives(res.headers.get("content-security-policy") ?? "");
  expect(csp.get("default-src"), what).toEqual(["'none'"]);
  expect(csp.get("script-src"), what).toEqual(["'self'", "'wasm-unsafe-eval'"]);
  expect(csp.get("style-src"), what).toEqual(["'self'"]);
  expect(csp.get("connect-src"), what).toEqual(["'self'", "wss://steward.test"]);
  expect(csp.get("frame-ancestors"), what).toEqual(["'none'"]);
  expect(csp.get("base-uri"), what).toEqual(["'none'"]);
  expect(csp.get("form-action"), what).toEqual(["'none'"]);
  for (const [name, values] of csp) expect(values, `${what}: ${name}`).not.toContain("'unsafe-inline'");
  expect(res.headers.get("x-content-type-options"), what).toBe("nosniff");
  expect(res.headers.get("x-frame-options"), what).toBe("DENY");
  expect(res.headers.get("referrer-policy"), what).toBe("no-referrer");
  const permissions = res.headers.get("permissions-policy") ?? "";
  for (const feature of ["camera", "microphone", "geolocation", "payment", "usb"])
    expect(permissions, what).toContain(`${feature}=()`);
  expect(res.headers.get("strict-transport-security"), what).toMatch(/max-age=\d{8}/);
}

describe("security headers from the worker", () => {
  it("on the app's page, its script, its service worker and its manifest", async () => {
    for (const path of ["/", "/index.html", "/app.js", "/sw.js", "/manifest.webmanifest"]) {
      const res = await SELF.fetch(`${BASE}${path}`);
      expect(res.status, `${path}: build the app first (npm run build)`).toBe(200);
      expectHardened(res, path);
      await res.body?.cancel();
    }
  });

  it("on the API's answers, errors included", async () => {
    for (const path of ["/health", "/v1/inbox", "/v1/nothing"]) {
      const res = await SELF.fetch(`${BASE}${path}`);
      expectHardened(res, path);
      await res.body?.cancel();
    }
  });

  it("the page the worker serves loads no inline script or style", async () => {
    const html = await (await SELF.fetch(`${BASE}/`)).text();
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/i);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });
});
