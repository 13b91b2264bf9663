// Every role reopens its app: a patient, a clinician and a caregiver each reload the page online
// and then offline (the service worker's shell, the data from IndexedDB) and land on their own
// home screen, not on an error or the welcome screen.
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { chromiumMissing, workerAndBrowser, person, screenshot, type Person } from "./browser.js";
import { clarityExport } from "./fixtures/clarityExport.js";
import { createGrantee, createPatient, nav, saveRecoveryKit, shareWith } from "./steps.js";

const ZONE = "Europe/Berlin";
const suffix = Date.now().toString(36).slice(-5);
const handles = { patient: `rosa-${suffix}`, clinician: `dr-haas-${suffix}`, caregiver: `opa-${suffix}` };

describe.skipIf(chromiumMissing)("reopening the app", () => {
  const env = workerAndBrowser();
  let patient: Person;
  let clinician: Person;
  let caregiver: Person;

  beforeAll(async () => {
    [patient, clinician, caregiver] = await Promise.all([
      person(env.browser, { phone: true, timeZone: ZONE }),
      person(env.browser, { timeZone: "America/New_York" }),
      person(env.browser, { phone: true, timeZone: ZONE }),
    ]);
  });

  /** Reloads at `/`, then again with the network off; `home` must be on screen both times. */
  const reloadTwice = async (who: Person, name: string, home: (page: Page) => Promise<void>) => {
    const { page, context } = who;
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await page.goto(`${env.worker.url}/#/`);
    await page.reload();
    await home(page);
    await screenshot(page, `${name}-reloaded`);
    await context.setOffline(true);
    await page.reload();
    await home(page);
    expect(await page.getByText("could not start").count()).toBe(0);
    await screenshot(page, `${name}-reloaded-offline`);
  };

  it("sets up a patient with data, a clinician with a report and a caregiver with a live view", async () => {
    const p = patient.page;
    await createPatient(p, env.worker.url, handles.patient);
    await nav(p, "Import").click();
    const csv = clarityExport({ end: Date.now() - 60_000, days: 2, intervalMinutes: 15, timeZone: ZONE });
    await p
      .getByLabel("Export file")
      .setInputFiles({ name: "clarity.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await p.getByLabel("Time zone the device clock was set to").selectOption(ZONE);
    await p.getByRole("button", { name: "Import" }).click();
    await expect
      .poll(() => p.getByTestId("import-summary").textContent(), { timeout: 60_000 })
      .toMatch(/Imported \d+ new records/);

    await createGrantee(clinician.page, env.worker.url, handles.clinician);
    await shareWith(p, handles.clinician, ["Glucose readings (CGM and finger-stick)"]);
    const c = clinician.page;
    await c
      .getByTestId("share")
      .filter({ hasText: handles.patient })
      .getByRole("link", { name: "Open report" })
      .click({ timeout: 30_000 });
    await expect.poll(() => c.getByTestId("mean-glucose").textContent(), { timeout: 60_000 }).toMatch(/\d+ mg\/dL/);

    await nav(p, "Share").click();
    await p.getByRole("button", { name: "Create invite link" }).click();
    const url = await p.getByTestId("invite-url").inputValue();
    const g = caregiver.page;
    await g.goto(url);
    await g.getByLabel("Choose a handle").fill(handles.caregiver);
    await g.getByRole("button", { name: "Create account and accept" }).click();
    await saveRecoveryKit(g);
    await g
      .getByTestId("share")
      .filter({ hasText: handles.patient })
      .getByRole("link", { name: "Open live view" })
      .click({ timeout: 60_000 });
    await expect.poll(() => g.getByTestId("live-value").textContent(), { timeout: 60_000 }).toMatch(/^\d+$/);
  });

  it("the patient reopens on the glucose dashboard, online and offline", async () => {
    await reloadTwice(patient, "patient", async (page) => {
      await page.getByRole("heading", { name: "Your glucose" }).waitFor();
      await expect
        .poll(() => page.getByTestId("mean-glucose").textContent(), { timeout: 30_000 })
        .toMatch(/\d+ mg\/dL/);
    });
  });

  it("the clinician reopens on the patient list, online and offline, and the report still opens offline", async () => {
    await reloadTwice(clinician, "clinician", async (page) => {
      await page.getByRole("heading", { name: "Patients who shared with you" }).waitFor();
      await page.getByTestId("share").filter({ hasText: handles.patient }).waitFor({ timeout: 30_000 });
    });
    const c = clinician.page;
    await c.getByTestId("shares-offline").waitFor();
    await c
      .getByTestId("share")
      .filter({ hasText: handles.patient })
      .getByRole("link", { name: "Open report" })
      .click();
    await expect.poll(() => c.getByTestId("mean-glucose").textContent(), { timeout: 30_000 }).toMatch(/\d+ mg\/dL/);
    await screenshot(c, "clinician-report-offline");
  });

  it("the caregiver reopens on the patient list, online and offline, and sees the last reading", async () => {
    await reloadTwice(caregiver, "caregiver", async (page) => {
      await page.getByRole("heading", { name: "Patients who shared with you" }).waitFor();
      await page.getByTestId("share").filter({ hasText: handles.patient }).waitFor({ timeout: 30_000 });
    });
    const g = caregiver.page;
    await g
      .getByTestId("share")
      .filter({ hasText: handles.patient })
      .getByRole("link", { name: "Open live view" })
      .click();
    await expect.poll(() => g.getByTestId("live-value").textContent(), { timeout: 30_000 }).toMatch(/^\d+$/);
  });

  it("back online, the grantees' lists are fresh from the server again", async () => {
    const c = clinician.page;
    await clinician.context.setOffline(false);
    await c.goto(`${env.worker.url}/#/`);
    await c.getByTestId("share").filter({ hasText: handles.patient }).waitFor({ timeout: 30_000 });
    await expect.poll(() => c.getByTestId("shares-offline").count(), { timeout: 15_000 }).toBe(0);
  });
});
