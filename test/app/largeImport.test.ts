// A 90-day CareLink export imported in the browser: the progress bar moves through every phase
// (reading the file, reading its records, encrypting, storing), the page keeps answering, and the
// import keeps going, and keeps showing its progress, while the patient looks at another screen.
import { describe, expect, it } from "vitest";
import { chromiumMissing, workerAndBrowser, person, screenshot } from "./browser.js";
import { carelinkExport } from "./fixtures/carelinkExport.js";
import { createPatient, nav } from "./steps.js";

const ZONE = "Europe/Berlin";
const DAYS = 90;

describe.skipIf(chromiumMissing)("a 90-day CareLink import in the browser", () => {
  const env = workerAndBrowser();


  it("moves through every phase, keeps the page responsive, and goes on visibly from the dashboard until all 25,920 readings are in", async () => {
    const { page } = await person(env.browser, { timeZone: ZONE });
    await createPatient(page, env.worker.url, `ninety-${Date.now().toString(36).slice(-5)}`);
    await nav(page, "Import").click();
    const csv = carelinkExport({ days: DAYS, newest: Date.now() - 10 * 60_000 });
    await page.getByLabel("Export file").setInputFiles({ name: "carelink-90-days.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.getByLabel("Time zone the device clock was set to").selectOption(ZONE);
    // Every phase and value the bar shows, as the page renders them (a phase can last less than a poll).
    await page.evaluate(() => {
      const shown: string[] = [];
      const values = new Set<string>();
      Object.assign(window, { shownPhases: shown, shownValues: values });
      new MutationObserver(() => {
        const bar = document.querySelector("[data-testid=import-progress]");
        const phase = bar?.getAttribute("data-phase");
        const value = bar?.getAttribute("value");
        if (phase && shown.at(-1) !== phase) shown.push(phase);
        if (value) values.add(value);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-phase", "value"] });
    });
    await page.getByRole("button", { name: "Import" }).click();
    await page.getByTestId("import-progress").waitFor();

    // On the Import screen: the bar takes many values and names each phase as it comes, while
    // animation frames keep being delivered.
    let frames = 0;
    const bar = page.getByTestId("import-progress");
    for (;;) {
      const [phase, value] = await Promise.all([bar.getAttribute("data-phase"), bar.getAttribute("value")]);
      if (phase === "done" || (phase === "store" && Number(value) > 0.5)) break;
      if (await page.evaluate(() => new Promise<boolean>((resolve) => requestAnimationFrame(() => resolve(true))))) frames++;
    }
    const { phases, values } = await page.evaluate(() => {
      const seen = window as unknown as { shownPhases: string[]; shownValues: Set<string> };
      return { phases: seen.shownPhases, values: seen.shownValues.size };
    });
    expect([...new Set(phases)].slice(0, 4)).toEqual(["read", "parse", "encrypt", "store"]);
    expect(values).toBeGreaterThan(10);
    expect(frames).toBeGreaterThan(5);
    await screenshot(page, "patient-import-running");

    // On the dashboard: the top bar shows the import going on, its share growing, until it is done.
    await nav(page, "Glucose").click();
    const running = page.getByTestId("import-running");
    const shares = new Set<number>();
    while ((await running.count()) > 0) {
      const text = (await running.textContent().catch(() => null)) ?? "";
      const share = /(\d+) %/.exec(text);
      if (share) shares.add(Number(share[1]));
      await page.waitForTimeout(200);
    }
    expect(shares.size).toBeGreaterThan(1);
    expect(Math.max(...shares)).toBeGreaterThan(Math.min(...shares));
    await expect.poll(() => page.getByTestId("mean-glucose").textContent(), { timeout: 30_000 }).toMatch(/\d+ mg\/dL/);
    await nav(page, "Import").click();
    await expect(page.getByTestId("import-summary").textContent()).resolves.toMatch(/^Imported 25,?920 new records from carelink-90-days\.csv/);
    await expect(page.getByTestId("import-steps").textContent()).resolves.toMatch(/25,920 of 25,920 stored/);
    await screenshot(page, "patient-import-90-days");
  });
});
