// The report a clinician recognises, in Debian's Chromium against the real worker: a patient in
// Berlin with 16 days of CGM, insulin and pump alerts; a clinician in New York who compares safety
// numbers before anything is shared, reads the AGP report in the patient's local time, switches to
// mmol/L, prints it to a two-page PDF, and watches the grant end while the report is open; a
// caregiver invited by a QR-coded link who sees an old reading dimmed with its age; the patient's
// own report and "Send a report" file, opened by a provider without an account.
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { extractText, getDocumentProxy } from "unpdf";
import { beforeAll, describe, expect, it } from "vitest";
import { wallClockMs } from "../../client/import/timezone.js";
import { axeViolations, rawFractions } from "./a11y.js";
import {
  chromiumMissing,
  workerAndBrowser,
  overflowing,
  person,
  screenshot,
  SCREENSHOTS,
  type Person,
} from "./browser.js";
import { carelinkExport } from "./fixtures/carelinkExport.js";
import { createGrantee, createPatient, importExport, nav, qrPath, reportSections, saveRecoveryKit } from "./steps.js";

const BERLIN = "Europe/Berlin";
const NEW_YORK = "America/New_York";
const suffix = Date.now().toString(36).slice(-5);
const handles = { patient: `lotte-${suffix}`, clinician: `dr-mendes-${suffix}`, caregiver: `tante-${suffix}` };
const SECTIONS = [
  "Glucose statistics and targets",
  "Time in ranges",
  "Ambulatory glucose profile (AGP)",
  "Glycemia risk index (GRI)",
  "Daily glucose profiles",
];
const GLUCOSE = [...SECTIONS, "Low and high episodes"];

describe.skipIf(chromiumMissing)("the AGP report", () => {
  const env = workerAndBrowser();
  let patient: Person;
  let clinician: Person;

  beforeAll(async () => {
    [patient, clinician] = await Promise.all([
      person(env.browser, { phone: true, timeZone: BERLIN }),
      person(env.browser, { timeZone: NEW_YORK }),
    ]);
    await clinician.page.setViewportSize({ width: 1280, height: 800 });
  });

  const violations = async (page: Page) =>
    (await axeViolations(page)).filter((v) => v.impact === "serious" || v.impact === "critical");

  it("the patient imports 16 days of CGM and pump data and reads their own report: AGP, insulin, pump settings, device alerts", async () => {
    const p = patient.page;
    await createPatient(p, env.worker.url, handles.patient);
    // The device clock reads Berlin time; the last reading is 20 minutes old (a caregiver sees it as stale).
    const csv = carelinkExport({
      days: 16,
      newest: wallClockMs(Date.now() - 20 * 60_000, BERLIN),
      pump: true,
      dipHour: 7,
    });
    await importExport(p, "carelink-16-days.csv", csv, BERLIN);
    await nav(p, "Report").click();
    await p.getByTestId("agp-chart").locator("canvas").first().waitFor({ timeout: 30_000 });
    expect(await reportSections(p)).toEqual([
      ...GLUCOSE,
      "Insulin",
      "Pump settings in force",
      "Meals, exercise and notes",
      "Device alerts",
    ]);
    await expect(p.getByTestId("agp-chart").textContent()).resolves.toMatch(/lowest, \d+ mg\/dL, around 0[67]:\d\d/);
    await expect(p.getByTestId("insulin-summary").textContent()).resolves.toMatch(
      /total \d+\.\d U \(basal \d+ %, bolus \d+ %\), bolus 16\.0 U/,
    );
    expect(
      await p.getByTestId("insulin-table").locator("tbody tr").first().locator("td").first().textContent(),
    ).toMatch(/^\d+\.\d U$/);
    await expect(p.getByTestId("device-alerts").textContent()).resolves.toMatch(
      /^5 device events: 5 × low insulin alarm\..*Alarm: low insulin \(Low reservoir\)/,
    );
    await p.getByText("No pump settings in this period.").waitFor();
    // One low a day around 07:00 (58 mg/dL for an hour): a level 1 episode each day, none of level 2.
    expect(Number(await p.locator('[data-episode="hypoLv1"] td').first().textContent())).toBeGreaterThanOrEqual(14);
    await expect(p.locator('[data-episode="hypoLv2"] td').first().textContent()).resolves.toBe("0");
    // The curves are smoothed as the AGP does; the values behind them are not.
    await p.getByText("AGP values hour by hour").click();
    await expect(
      p.getByTestId("agp-values").locator("tr", { hasText: "07:00" }).locator("td").nth(2).textContent(),
    ).resolves.toBe("58");
    expect(await p.getByTestId("daily-profile").count()).toBeGreaterThanOrEqual(14);
    await screenshot(p, "patient-report");
    expect(await violations(p)).toEqual([]);
    expect(await rawFractions(p)).toEqual([]);
  });

  it("on a phone the tabs wrap instead of scrolling away, the sticky bar takes under a tenth of the screen, nothing sticks out", async () => {
    const p = patient.page;
    const layout = await p.evaluate(() => ({
      chrome: document.querySelector(".chrome")!.getBoundingClientRect().height,
      tabs: [...document.querySelectorAll("nav.tabs a")].map((a) => a.getBoundingClientRect().right),
    }));
    expect(layout.chrome).toBeLessThan(844 / 10);
    expect(await overflowing(p)).toEqual([]);
    expect(Math.max(...layout.tabs)).toBeLessThanOrEqual(390);
  });

  it("either side can show the safety number for a handle before anything is shared, and both see the same digits", async () => {
    await createGrantee(clinician.page, env.worker.url, handles.clinician);
    const c = clinician.page;
    await c.getByLabel("Patient's handle").fill(handles.patient);
    await c.getByRole("button", { name: "Show the safety number" }).click();
    const clinicianNumber = (await c.getByTestId("safety-number").textContent())?.replace(/\D/g, "");
    expect(clinicianNumber).toHaveLength(60);
    await screenshot(c, "clinician-compare-safety-number");
    const p = patient.page;
    await nav(p, "Share").click();
    await p.getByLabel("Their handle").fill(handles.clinician);
    await p.getByRole("button", { name: "Find" }).click();
    await expect
      .poll(async () => (await p.getByTestId("safety-number").textContent())?.replace(/\D/g, ""))
      .toBe(clinicianNumber);
    await expect(p.getByTestId("verify-contact").textContent()).resolves.toContain(
      "Compare safety numbers with a patient",
    );
    await p.getByRole("button", { name: "The numbers match" }).click();
    await c.getByRole("button", { name: "The numbers match" }).click();
    await c.getByText(`@${handles.patient}'s keys are verified on this device.`).waitFor();

    const form = p.locator("form", { has: p.getByRole("button", { name: `Share with @${handles.clinician}` }) });
    for (const scope of ["Insulin (basal, boluses, bolus calculator)", "Pump settings", "Device alerts and alarms"])
      await form.getByLabel(scope).check();
    await p.getByRole("button", { name: `Share with @${handles.clinician}` }).click();
    await p.getByRole("heading", { name: "Who has access" }).waitFor();
    const card = c.getByTestId("share").filter({ hasText: handles.patient });
    await card.getByText("Keys verified.").waitFor({ timeout: 30_000 });
  });

  it("the clinician in New York reads the report on the patient's clock: the 07:00 dip at 07:00, Berlin dates, the zone named", async () => {
    const c = clinician.page;
    await c
      .getByTestId("share")
      .filter({ hasText: handles.patient })
      .getByRole("link", { name: "Open report" })
      .click();
    await c.getByTestId("agp-chart").locator("canvas").first().waitFor({ timeout: 60_000 });
    await expect(c.getByTestId("report-zone").textContent()).resolves.toBe("UTC+01:00");
    await expect(c.getByTestId("agp-chart").textContent()).resolves.toMatch(/lowest, \d+ mg\/dL, around 0[67]:\d\d/);
    expect(await reportSections(c)).toEqual([...GLUCOSE, "Insulin", "Pump settings in force", "Device alerts"]);
    // The last daily panel is the patient's today in Berlin, not New York's.
    const today = new Date(wallClockMs(Date.now() - 20 * 60_000, BERLIN)).toISOString().slice(0, 10);
    expect(await c.getByTestId("daily-profile").last().getAttribute("data-day")).toBe(today);
    await expect(c.getByTestId("time-in-range").locator('[data-range="in-range"]').textContent()).resolves.toMatch(
      /^In range 70–180 mg\/dL\d+ %/,
    );
    await screenshot(c, "clinician-report");
    expect(await violations(c)).toEqual([]);
    expect(await rawFractions(c)).toEqual([]);
  });

  it("switches to mmol/L (one decimal), kept after a reload", async () => {
    const c = clinician.page;
    await c.getByLabel("Units").selectOption("mmol/L");
    await expect(c.getByTestId("mean-glucose").textContent()).resolves.toMatch(/^\d+\.\d mmol\/L$/);
    await expect(c.getByTestId("time-in-range").locator('[data-range="in-range"]').textContent()).resolves.toContain(
      "3.9–10.0 mmol/L",
    );
    await expect(c.getByTestId("time-in-range").locator('[data-range="high"]').textContent()).resolves.toContain(
      "10.1–13.9 mmol/L",
    );
    await expect(c.getByTestId("agp-chart").textContent()).resolves.toMatch(
      /lowest, \d+\.\d mmol\/L, around 0[67]:\d\d/,
    );
    await c.reload();
    await c.getByTestId("mean-glucose").waitFor({ timeout: 60_000 });
    await expect(c.getByTestId("mean-glucose").textContent()).resolves.toMatch(/mmol\/L$/);
    await screenshot(c, "clinician-report-mmol");
    await c.getByLabel("Units").selectOption("mg/dL");
  });

  it("prints as a two-page PDF with the AGP sections in order", async () => {
    const c = clinician.page;
    await c.getByTestId("agp-chart").locator("canvas").first().waitFor();
    await c.emulateMedia({ media: "print" });
    await c.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    const pdf = await c.pdf({ format: "A4", printBackground: true, path: `${SCREENSHOTS}clinician-report.pdf` });
    await c.emulateMedia({ media: "screen" });
    const { totalPages, text } = await extractText(await getDocumentProxy(new Uint8Array(pdf)), { mergePages: false });
    expect(totalPages).toBe(2);
    const [first, second] = text as string[];
    const at = (page: string, heading: string) => page.replace(/\s+/g, " ").indexOf(heading);
    const positions = SECTIONS.slice(0, 4).map((h) => at(first!, h));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(at(second!, "Daily glucose profiles")).toBeGreaterThanOrEqual(0);
    expect(first).toContain(`@${handles.patient}`);
    expect(first).not.toMatch(/Export as FHIR|Print \/ save/);
  });

  it("a caregiver invited by QR-coded link is greeted with the inviter's name and sees the 20-minute-old reading dimmed with its age", async () => {
    const p = patient.page;
    await nav(p, "Share").click();
    await p.getByRole("button", { name: "Create invite link" }).click();
    const url = await p.getByTestId("invite-url").inputValue();
    expect(await p.getByTestId("qr-code").locator("path").getAttribute("d")).toBe(qrPath(url));
    await screenshot(p, "patient-invite-qr");
    const caregiver = await person(env.browser, { phone: true, timeZone: BERLIN });
    const g = caregiver.page;
    await g.goto(url);
    await g.getByRole("heading", { name: `@${handles.patient} invited you to see their diabetes data` }).waitFor();
    await screenshot(g, "caregiver-invited");
    await g.getByLabel("Choose a handle").fill(handles.caregiver);
    await g.getByRole("button", { name: "Create account and accept" }).click();
    await saveRecoveryKit(g);
    await g
      .getByTestId("share")
      .filter({ hasText: handles.patient })
      .getByRole("link", { name: "Open live view" })
      .click({ timeout: 60_000 });
    await g.getByTestId("live-value").waitFor({ timeout: 60_000 });
    await expect(g.getByTestId("live-reading").getAttribute("data-stale")).resolves.toBe("true");
    await expect(g.getByTestId("stale-reading").textContent()).resolves.toMatch(/This reading is 2\d min ago/);
    await screenshot(g, "caregiver-stale");
    expect(await violations(g)).toEqual([]);
    await caregiver.context.close();
  });

  it("the grant ends while its report is open: the report goes, exports go, every screen says so", async () => {
    const c = clinician.page;
    await c.getByTestId("report").waitFor();
    const p = patient.page;
    await nav(p, "Who has access").click();
    const grant = p.getByTestId("grant").filter({ hasText: handles.clinician });
    await grant.getByRole("button", { name: `Revoke @${handles.clinician}'s access` }).click();
    await grant.getByRole("button", { name: `Yes, revoke @${handles.clinician}'s access` }).click();
    await c.getByTestId("access-ended").waitFor({ timeout: 60_000 });
    expect(await c.getByTestId("report").count()).toBe(0);
    expect(await c.getByRole("button", { name: /Export as FHIR|Print/ }).count()).toBe(0);
    await expect(c.getByTestId("access-ended").textContent()).resolves.toContain("cannot be taken back");
    await screenshot(c, "clinician-report-ended");
    await nav(c, "Patients").click();
    await c.getByTestId("ended-share").filter({ hasText: handles.patient }).waitFor({ timeout: 30_000 });
    expect(await c.getByText("Nobody has shared with you yet").count()).toBe(0);
    await screenshot(c, "clinician-patients-ended");
  });

  it("the patient sends an encrypted report file with its passphrase shown once; a provider without an account opens it", async () => {
    const p = patient.page;
    await nav(p, "Report").click();
    await p.getByRole("link", { name: "Send a report" }).click();
    await p.getByRole("heading", { name: "Send a report" }).waitFor();
    await screenshot(p, "patient-send-report");
    const download = p.waitForEvent("download");
    await p.getByRole("button", { name: "Make the encrypted report file" }).click();
    const file = readFileSync((await (await download).path())!);
    const passphrase = (await p.getByTestId("report-passphrase").textContent())!.trim();
    expect(passphrase).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){8}$/);
    await screenshot(p, "patient-send-report-passphrase");
    await p.getByRole("button", { name: "I have passed on the passphrase" }).click();
    expect(await p.getByText(passphrase).count()).toBe(0);

    const provider = await person(env.browser, { timeZone: NEW_YORK });
    const r = provider.page;
    await r.goto(env.worker.url);
    await r.getByRole("link", { name: "Open a report file" }).click();
    await r
      .getByLabel("Report file (.steward-report)")
      .setInputFiles({ name: "report.steward-report", mimeType: "application/octet-stream", buffer: file });
    await r.getByLabel("Passphrase").fill(passphrase);
    await r.getByRole("button", { name: "Open the report" }).click();
    await r.getByTestId("agp-chart").locator("canvas").first().waitFor({ timeout: 60_000 });
    expect(await reportSections(r)).toEqual([...GLUCOSE, "Insulin", "Pump settings in force", "Device alerts"]);
    await expect(r.getByTestId("report-zone").textContent()).resolves.toBe("UTC+01:00");
    await screenshot(r, "provider-opened-report");
    await provider.context.close();
  });
});
