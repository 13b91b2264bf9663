// What a person reads when something goes wrong or is not where expected, in Debian's Chromium
// against the real worker: a taken handle and being offline are said in words with what to do (no
// routes, addresses or "Failed to fetch"); data older than the chosen period is found, not hidden.
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { wallClockMs } from "../../client/import/timezone.js";
import { axeViolations, rawFractions } from "./a11y.js";
import { chromiumMissing, workerAndBrowser, overflowing, person, screenshot, type Person } from "./browser.js";
import { carelinkExport } from "./fixtures/carelinkExport.js";
import { createPatient, importExport, nav } from "./steps.js";

const ZONE = "Europe/Berlin";
const DAY = 86_400_000;
const handle = `ruth-${Date.now().toString(36).slice(-5)}`;
/** What a person must never read: routes, addresses, raw network errors. */
const INTERNALS = /\/v1\/|https?:\/\/|127\.0\.0\.1|Failed to fetch|POST |GET /;

describe.skipIf(chromiumMissing)("messages a person can act on", () => {
  const env = workerAndBrowser();
  let patient: Person;

  beforeAll(async () => {
    patient = await person(env.browser, { phone: true, timeZone: ZONE });
  });

  const alertText = async (page: Page) => (await page.getByRole("alert").first().textContent()) ?? "";

  it("a taken handle says so and what to do, without the request behind it", async () => {
    await createPatient(patient.page, env.worker.url, handle);
    const other = await person(env.browser, { phone: true, timeZone: ZONE });
    await other.page.goto(`${env.worker.url}/#/start/patient`);
    await other.page.getByLabel("Choose a handle").fill(handle);
    await other.page.getByRole("button", { name: "Create account" }).click();
    await expect
      .poll(() => alertText(other.page), { timeout: 30_000 })
      .toMatch(/^The handle "[^"]+" is taken; choose another\.$/);
    await screenshot(other.page, "welcome-handle-taken");
    await other.context.close();
  });

  it("offline, every screen says so in words, and an action that needs the server says what to do", async () => {
    const { page, context } = patient;
    await context.setOffline(true);
    await expect.poll(() => page.getByTestId("sync-state").textContent()).toBe("Offline");
    for (const screen of ["Glucose", "Report", "Import", "Share", "Who has access", "Access log", "Devices"]) {
      await nav(page, screen).click();
      await page.waitForTimeout(300);
      expect(await page.evaluate(() => document.body.innerText)).not.toMatch(INTERNALS);
    }
    await nav(page, "Share").click();
    await page.getByLabel("Their handle").fill("someone-else");
    await page.getByRole("button", { name: "Find" }).click();
    await expect
      .poll(() => alertText(page))
      .toMatch(/cannot reach its server right now \(are you offline\?\).*try again once you are back online/);
    expect(await page.evaluate(() => document.body.innerText)).not.toMatch(INTERNALS);
    await screenshot(page, "patient-offline-share");
    await context.setOffline(false);
  });

  it("data older than the period is found: the dashboard says where it is and jumps there", async () => {
    const { page } = patient;
    const newest = Date.now() - 120 * DAY;
    await importExport(
      page,
      "carelink-spring.csv",
      carelinkExport({ days: 5, newest: wallClockMs(newest, ZONE) }),
      ZONE,
    );
    await nav(page, "Glucose").click();
    await page.getByTestId("data-elsewhere").waitFor({ timeout: 30_000 });
    expect(await page.getByText("No readings yet").count()).toBe(0);
    const period = page.getByLabel("Period");
    await expect(period.locator("option", { hasText: "All my data" }).textContent()).resolves.toMatch(
      /All my data \(\d+ \w+ \d{4} – \d+ \w+ \d{4}\)/,
    );
    await screenshot(page, "patient-data-elsewhere");
    await page.getByRole("button", { name: /^Show the 14 days up to / }).click();
    await expect.poll(() => page.getByTestId("mean-glucose").textContent(), { timeout: 30_000 }).toMatch(/\d+ mg\/dL/);
    await page.getByTestId("glucose-chart").locator("canvas").first().waitFor();
    // A range of one's own dates, and back to the last 14 days, where there is nothing.
    await period.selectOption("dates");
    await page.getByLabel("From").waitFor();
    await period.selectOption("last-14");
    await page.getByTestId("data-elsewhere").waitFor();
    await page.getByRole("button", { name: "Jump to the latest data" }).click();
    await expect.poll(() => page.getByTestId("mean-glucose").textContent(), { timeout: 30_000 }).toMatch(/\d+ mg\/dL/);
    await screenshot(page, "patient-dashboard-old-data");
  });

  it("every patient screen passes the WCAG 2 A/AA checks (contrast 4.5:1 among them), shows no raw fractions and fits a phone", async () => {
    const { page } = patient;
    for (const screen of [
      "Glucose",
      "Report",
      "Add entry",
      "Import",
      "Share",
      "Who has access",
      "Access log",
      "Devices",
    ]) {
      await nav(page, screen).click();
      await page.waitForTimeout(500);
      const serious = (await axeViolations(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
      expect(serious, screen).toEqual([]);
      expect(await rawFractions(page), screen).toEqual([]);
      expect(await overflowing(page), screen).toEqual([]);
      expect(
        await page.evaluate(() => document.querySelector(".chrome")!.getBoundingClientRect().height),
        screen,
      ).toBeLessThan(84.4);
    }
  });
});
