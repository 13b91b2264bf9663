// A 90-day CareLink export imported in the browser: the progress bar moves and the page keeps
// answering while the file is read, placed in time, encrypted and stored.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type LocalWorker } from "../e2e/localWorker.js";
import { chromiumMissing, launchChromium, person, screenshot } from "./browser.js";
import { carelinkExport } from "./fixtures/carelinkExport.js";

const ZONE = "Europe/Berlin";
const DAYS = 90;

describe.skipIf(chromiumMissing)("a 90-day CareLink import in the browser", () => {
  let worker: LocalWorker;
  let browser: Browser;

  beforeAll(async () => {
    [worker, browser] = await Promise.all([startWorker(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
  });

  it("shows progress and keeps the page responsive until all 25,920 readings are in", async () => {
    const { page } = await person(browser, { timeZone: ZONE });
    await page.goto(`${worker.url}/#/start/patient`);
    await page.getByLabel("Choose a handle").fill(`ninety-${Date.now().toString(36).slice(-5)}`);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByTestId("recovery-code").waitFor();
    await page.getByLabel("I saved or printed my recovery kit").check();
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("navigation", { name: "Screens" }).getByRole("link", { name: "Import", exact: true }).click();

    const csv = carelinkExport({ days: DAYS, newest: Date.now() - 10 * 60_000 });
    await page.getByLabel("Export file").setInputFiles({ name: "carelink-90-days.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.getByLabel("Time zone the device clock was set to").selectOption(ZONE);
    await page.getByRole("button", { name: "Import" }).click();
    await page.getByTestId("import-progress").waitFor();

    // While the import runs, the page answers: animation frames are delivered and the progress bar
    // takes several values on the way, not one jump from start to end.
    const values = new Set<string>();
    let framesWhileImporting = 0;
    const importing = page.getByRole("button", { name: "Importing…" });
    while ((await importing.count()) > 0) {
      const frame = await page.evaluate(() => new Promise<boolean>((resolve) => requestAnimationFrame(() => resolve(true))));
      const value = await page.getByTestId("import-progress").getAttribute("value");
      if ((await importing.count()) === 0) break;
      if (frame) framesWhileImporting++;
      if (value !== null) values.add(value);
    }
    await expect(page.getByTestId("import-summary").textContent()).resolves.toMatch(/^Imported 25,?920 new records from carelink-90-days\.csv/);
    expect(framesWhileImporting).toBeGreaterThan(5);
    expect(values.size).toBeGreaterThan(3);
    await screenshot(page, "patient-import-90-days");
  });
});
