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
    await page
      .getByLabel("Export file")
      .setInputFiles({ name: "carelink-90-days.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.getByLabel("Time zone the device clock was set to").selectOption(ZONE);
    // What the page renders, recorded in the page (each render, however short, not what a poll
    // happens to catch): the bar's phases and values, the dashboard's shares, animation frames.
    await page.evaluate(() => {
      const seen = { phases: [] as string[], values: new Set<string>(), shares: new Set<number>(), frames: 0 };
      Object.assign(window, { importSeen: seen });
      new MutationObserver(() => {
        const bar = document.querySelector("[data-testid=import-progress]");
        const phase = bar?.getAttribute("data-phase");
        if (phase && seen.phases.at(-1) !== phase) seen.phases.push(phase);
        const value = bar?.getAttribute("value");
        if (value) seen.values.add(value);
        const share = /(\d+) %/.exec(document.querySelector("[data-testid=import-running]")?.textContent ?? "");
        if (share) seen.shares.add(Number(share[1]));
      }).observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
        attributeFilter: ["data-phase", "value"],
      });
      const frame = () => {
        seen.frames++;
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    });
    type Seen = { phases: string[]; values: string[]; shares: number[]; frames: number };
    const seen = () =>
      page.evaluate((): Seen => {
        const s = (
          window as unknown as {
            importSeen: { phases: string[]; values: Set<string>; shares: Set<number>; frames: number };
          }
        ).importSeen;
        return { phases: [...s.phases], values: [...s.values], shares: [...s.shares], frames: s.frames };
      });
    await page.getByRole("button", { name: "Import" }).click();

    // On the Import screen: the bar names each phase as it comes and takes many values, while
    // animation frames keep being delivered. The patient leaves once storing is under way.
    const underWay = (s: Seen) => s.phases.includes("done") || (s.phases.at(-1) === "store" && s.values.length > 10);
    await expect.poll(async () => underWay(await seen()), { timeout: 120_000 }).toBe(true);
    const onImport = await seen();
    expect(onImport.phases.slice(0, 4)).toEqual(["read", "parse", "encrypt", "store"]);
    expect(onImport.values.length).toBeGreaterThan(10);
    expect(onImport.frames).toBeGreaterThan(5);

    // On the dashboard: the top bar shows the import going on, its share growing, until it is done.
    await nav(page, "Glucose").click();
    await screenshot(page, "patient-import-running");
    await expect.poll(() => page.getByTestId("import-running").count(), { timeout: 120_000 }).toBe(0);
    const { shares } = await seen();
    expect(shares.length).toBeGreaterThan(1);
    expect(Math.max(...shares)).toBeGreaterThan(Math.min(...shares));
    await expect.poll(() => page.getByTestId("mean-glucose").textContent(), { timeout: 30_000 }).toMatch(/\d+ mg\/dL/);
    await nav(page, "Import").click();
    await expect(page.getByTestId("import-summary").textContent()).resolves.toMatch(
      /^Imported 25,?920 new records from carelink-90-days\.csv/,
    );
    await expect(page.getByTestId("import-steps").textContent()).resolves.toMatch(/25,920 of 25,920 stored/);
    await screenshot(page, "patient-import-90-days");
  });
});
