// The service worker runs only the build the person accepted. A file the server changes without a
// new build is not used; a new build is announced with its version and hash beside the running one
// and taken only when the person says so; About shows the hash of what runs.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type BuildInfo } from "../../app/build.js";
import { startWorker, type LocalWorker } from "../e2e/localWorker.js";
import { chromiumMissing, launchChromium, person, screenshot } from "./browser.js";

function short(hash: string): string {
  return `${hash.slice(0, 8)}…${hash.slice(-8)}`;
}

/** Asks the server for a new service worker and waits until its install (if any) succeeded or failed; true when one waits. */
async function checkForUpdate(page: Page): Promise<boolean> {
  return page.evaluate(async () => {
    const registration = (await navigator.serviceWorker.getRegistration())!;
    await registration.update().catch(() => undefined);
    while (registration.installing) await new Promise((r) => setTimeout(r, 100));
    return registration.waiting !== null;
  });
}

/** A new build can reach the browser while wrangler dev reloads the files under it: ask again until it is offered. */
async function untilOffered(page: Page): Promise<void> {
  for (let i = 0; i < 30 && !(await checkForUpdate(page)); i++) await page.waitForTimeout(1_000);
}

async function shownBuild(page: Page): Promise<{ version: string; hash: string }> {
  await page.goto(`${new URL(page.url()).origin}/#/about`);
  await page.getByRole("heading", { name: "About Steward" }).waitFor();
  await page
    .getByTestId("build-hash")
    .filter({ hasText: /^[0-9a-f]{64}$/ })
    .waitFor();
  return {
    version: (await page.getByTestId("app-version").textContent())!,
    hash: (await page.getByTestId("build-hash").textContent())!,
  };
}

describe.skipIf(chromiumMissing)("app updates", () => {
  let assets: string;
  let worker: LocalWorker;
  let browser: Browser;
  let first: BuildInfo;

  beforeAll(async () => {
    assets = mkdtempSync(join(tmpdir(), "steward-assets-"));
    first = await buildApp({ outDir: assets });
    [worker, browser] = await Promise.all([startWorker({ assets }), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    rmSync(assets, { recursive: true, force: true });
  });

  it("keeps the accepted build, and switches to a new one only after showing its version and hash", async () => {
    const { context, page } = await person(browser);
    await page.goto(worker.url);
    await page.getByRole("heading", { name: "Welcome to Steward" }).waitFor();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    expect(await shownBuild(page)).toEqual({ version: first.version, hash: first.hash });

    // The server changes the app's code without a new build: the device keeps running what it verified.
    const code = readFileSync(join(assets, "app.js"), "utf8");
    writeFileSync(join(assets, "app.js"), code.replace("About Steward", "About Mallory"));
    expect(await checkForUpdate(page)).toBe(false);
    await page.reload();
    expect(await shownBuild(page)).toEqual({ version: first.version, hash: first.hash });
    await expect(page.getByRole("alert").filter({ hasText: "new version" }).count()).resolves.toBe(0);

    // A new build whose files do not match what its service worker names is not offered either.
    const forged = await buildApp({ outDir: assets, version: "9.0.0-forged" });
    appendFileSync(join(assets, "app.js"), "\n// changed after the build\n");
    for (let i = 0; i < 3; i++) expect(await checkForUpdate(page)).toBe(false);
    await expect(page.getByRole("alert").filter({ hasText: "new version" }).count()).resolves.toBe(0);
    expect(forged.hash).not.toBe(first.hash);

    // A genuine new build: announced with both versions and hashes; nothing changes until accepted.
    const second = await buildApp({ outDir: assets, version: "9.1.0-test" });
    await untilOffered(page);
    const notice = page.getByRole("alert").filter({ hasText: "A new version of Steward is ready" });
    await notice.waitFor();
    const text = (await notice.textContent())!;
    expect(text).toContain(`9.1.0-test, build ${short(second.hash)}`);
    expect(text).toContain(`You are using ${first.version}, build ${short(first.hash)}`);
    await screenshot(page, "update-offered");
    await page.getByRole("button", { name: "Later" }).click();
    await page.reload();
    expect(await shownBuild(page)).toEqual({ version: first.version, hash: first.hash });

    await page.getByRole("button", { name: "Update to 9.1.0-test" }).click();
    await page.waitForEvent("load");
    expect(await shownBuild(page)).toEqual({ version: "9.1.0-test", hash: second.hash });
    await context.close();
  });
});
