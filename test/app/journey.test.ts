// The "Done when", in Debian's Chromium against the real worker: a patient imports an
// export, adds a meal offline and syncs on return; shares 14 days of glucose with a clinician who
// sees metrics and charts and no insulin; invites a caregiver for 48 hours who sees live readings
// until the patient revokes. Every request, response and WebSocket frame of all three is recorded,
// and none may carry a glucose value, the patient's name or a note's text.
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import {
  chromiumMissing,
  workerAndBrowser,
  leaks,
  person,
  screenshot,
  yjsIntegerField,
  type Person,
} from "./browser.js";
import { clarityExport, DISTINCT_MGDL, PATIENT_NAME } from "./fixtures/clarityExport.js";
import { createGrantee, nav, qrPath, saveRecoveryKit, shareWith } from "./steps.js";

const ZONE = "Europe/Berlin";
const MEAL = "Strawberry pancakes at grandma's";
const NOTE = "Felt shaky after the school run, 2 glucose tabs";
const SNACK = "Apple slices from grandpa";
const LIVE_LOW = 64;
const suffix = Date.now().toString(36).slice(-5);
const handles = {
  patient: `wilma-${suffix}`,
  clinician: `dr-okafor-${suffix}`,
  colleague: `dr-lindqvist-${suffix}`,
  caregiver: `grandpa-${suffix}`,
};

describe.skipIf(chromiumMissing)("patient, clinician and caregiver in the browser", () => {
  const env = workerAndBrowser();
  let patient: Person;
  let clinician: Person;
  let caregiver: Person;
  let laptop: Person;
  let colleague: Person;
  let tablet: Person | undefined;
  const end = Date.now() - 2 * 60_000;

  beforeAll(async () => {
    patient = await person(env.browser, { phone: true, timeZone: ZONE });
    clinician = await person(env.browser, { timeZone: ZONE });
    caregiver = await person(env.browser, { phone: true, timeZone: ZONE });
    // Notifications allowed; the page's Notification records titles instead of showing them.
    await caregiver.context.grantPermissions(["notifications"]);
    await caregiver.context.addInitScript(() => {
      const notified: string[] = [];
      class RecordingNotification {
        static readonly permission: string = "granted";
        static requestPermission(): Promise<string> {
          return Promise.resolve("granted");
        }
        constructor(title: string) {
          notified.push(title);
        }
      }
      Object.assign(window, { notified, Notification: RecordingNotification });
    });
  });

  const pending = (p: Person) => p.page.getByTestId("sync-pending");
  /** Nothing sticks out sideways at phone width (wide tables scroll inside their own box). */
  const fitsPhone = async (page: Page) =>
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  /** A new browser profile linked to the patient's account from the Devices screen. */
  const linkNewDevice = async (shot: string): Promise<Person> => {
    const device = await person(env.browser, { timeZone: ZONE });
    const l = device.page;
    await l.goto(`${env.worker.url}/#/start/link`);
    await expect
      .poll(async () => (await l.getByTestId("link-code").textContent())?.trim(), { timeout: 30_000 })
      .not.toMatch(/Asking/);
    const code = (await l.getByTestId("link-code").textContent())!.trim();
    // The QR code beside the code opens the signed-in device's Devices screen with the code filled in.
    const qrTarget = (await l.getByTestId("link-url").getAttribute("href"))!;
    expect(qrTarget).toBe(`${env.worker.url}/#/devices/link/${encodeURIComponent(code)}`);
    expect(await l.getByTestId("qr-code").locator("path").getAttribute("d")).toBe(qrPath(qrTarget));
    await screenshot(l, "new-device-link-code");
    const { page } = patient;
    await page.goto(qrTarget);
    await expect(page.getByLabel("Code from the new device").inputValue()).resolves.toBe(code);
    await page.getByRole("button", { name: "Continue" }).click();
    const sas = (await page.getByTestId("approve-sas").textContent({ timeout: 30_000 }))!.trim();
    await expect
      .poll(async () => (await l.getByTestId("link-sas").textContent())?.trim(), { timeout: 30_000 })
      .toBe(sas);
    await screenshot(page, shot);
    await l.getByRole("button", { name: "The digits match" }).click();
    await page.getByRole("button", { name: "It matches: link the device" }).click();
    await l.getByRole("heading", { name: "Your glucose" }).waitFor({ timeout: 30_000 });
    return device;
  };
  const expectInsulinReport = async (page: Page, timeout: number) => {
    await nav(page, "Patients").click();
    const share = page.getByTestId("share").filter({ hasText: "Insulin (basal, boluses, bolus calculator)" });
    await share.getByRole("link", { name: "Open report" }).click({ timeout: 30_000 });
    await page.getByText("Glucose is not part of this grant.").waitFor();
    await page.getByText("No pump settings in this period.").waitFor();
    await expect.poll(() => page.getByTestId("insulin-summary").count(), { timeout }).toBe(1);
    await expect(page.getByTestId("insulin-summary").textContent()).resolves.toMatch(
      /Average per day over \d+ (full )?days?: .*bolus \d+\.\d U/,
    );
  };

  it("a patient creates an account and saves the recovery kit", async () => {
    const { page } = patient;
    await page.goto(`${env.worker.url}/#/start/patient`);
    await page.getByLabel("Choose a handle").fill(handles.patient);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByTestId("recovery-code").waitFor();
    await screenshot(page, "patient-recovery-kit");
    await saveRecoveryKit(page);
    await page.getByRole("heading", { name: "Your glucose" }).waitFor();
  });

  it("imports a Clarity export with a progress bar and sees the dashboard", async () => {
    const { page } = patient;
    await nav(page, "Import").click();
    const csv = clarityExport({ end, days: 16, intervalMinutes: 15, timeZone: ZONE, full: true });
    await page
      .getByLabel("Export file")
      .setInputFiles({ name: "clarity-export.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.getByLabel("Time zone the device clock was set to").selectOption(ZONE);
    await page.getByRole("button", { name: "Import" }).click();
    await page.getByTestId("import-progress").waitFor();
    await expect
      .poll(() => page.getByTestId("import-summary").textContent(), { timeout: 120_000 })
      .toMatch(/Imported \d+ new records from clarity-export\.csv \(Dexcom Clarity\)/);
    await screenshot(page, "patient-import");
    await nav(page, "Glucose").click();
    await page.getByTestId("glucose-chart").locator("canvas").first().waitFor();
    await expect.poll(() => page.getByTestId("mean-glucose").textContent()).toMatch(/\d+ mg\/dL/);
    await expect.poll(() => pending(patient).textContent(), { timeout: 120_000 }).toBe("all changes sent");
    await screenshot(page, "patient-dashboard");
    await fitsPhone(page);
  });

  it("adds a meal and a note offline; they wait in the outbox and sync when the browser is back online", async () => {
    const { page, context } = patient;
    await context.setOffline(true);
    await expect.poll(() => page.getByTestId("sync-state").textContent()).toBe("Offline");
    await nav(page, "Add entry").click();
    await page.getByRole("radio", { name: "Meal" }).check();
    await page.getByLabel("What you ate").fill(MEAL);
    await page.getByLabel("Carbohydrates (g)").fill("47");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Meal saved on this device").waitFor();
    await page.getByRole("radio", { name: "Note" }).check();
    await page.getByRole("textbox", { name: "Note" }).fill(NOTE);
    // Keyboard only: from the note, Tab reaches Save and Enter presses it.
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.getByText("Note saved on this device").waitFor();
    await expect.poll(() => pending(patient).textContent()).toMatch(/^[1-9]\d* changes? waiting to sync$/);
    await screenshot(page, "patient-offline-entry");
    // Still offline: the app starts from the service worker's cache and the data from IndexedDB.
    await page.goto(`${env.worker.url}/#/`);
    await page.getByText(MEAL).waitFor();
    await expect.poll(() => pending(patient).textContent()).toMatch(/^[1-9]\d* changes? waiting to sync$/);
    await screenshot(page, "patient-offline-reload");

    await context.setOffline(false);
    await expect.poll(() => pending(patient).textContent(), { timeout: 60_000 }).toBe("all changes sent");
    await expect.poll(() => page.getByTestId("sync-state").textContent()).toBe("Online");
    await nav(page, "Glucose").click();
    await page.getByText(MEAL).waitFor();
  });

  it("links a second patient device by code and matching short strings; it shows the same data", async () => {
    laptop = await linkNewDevice("patient-devices-link");
    await expect
      .poll(() => laptop.page.getByTestId("mean-glucose").textContent(), { timeout: 60_000 })
      .toMatch(/\d+ mg\/dL/);
    await laptop.page.getByText(MEAL).waitFor({ timeout: 30_000 });
    await screenshot(laptop.page, "patient-second-device");
  });

  it("shares 14 days of glucose with a clinician, who sees the metrics and charts and no insulin", async () => {
    await createGrantee(clinician.page, env.worker.url, handles.clinician);

    const { page } = patient;
    await nav(page, "Share").click();
    await page.getByLabel("Their handle").fill(handles.clinician);
    await page.getByRole("button", { name: "Find" }).click();
    await page.getByTestId("safety-number").waitFor();
    expect((await page.getByTestId("safety-number").textContent())?.replace(/\D/g, "")).toHaveLength(60);
    const patientNumber = (await page.getByTestId("safety-number").textContent())?.replace(/\D/g, "");
    await screenshot(page, "patient-safety-number");
    await page.getByRole("button", { name: "The numbers match" }).click();
    const shareForm = page.locator("form", {
      has: page.getByRole("button", { name: `Share with @${handles.clinician}` }),
    });
    await expect(shareForm.getByLabel("Glucose readings (CGM and finger-stick)").isChecked()).resolves.toBe(true);
    await expect(shareForm.getByLabel("Insulin (basal, boluses, bolus calculator)").isChecked()).resolves.toBe(false);
    await screenshot(page, "patient-share");
    await fitsPhone(page);
    await page.getByRole("button", { name: `Share with @${handles.clinician}` }).click();
    await page.getByRole("heading", { name: "Who has access" }).waitFor();
    await page.getByTestId("grant").filter({ hasText: handles.clinician }).waitFor();

    // The clinician reads the same 60 digits on their side and confirms.
    const c = clinician.page;
    const card = c.getByTestId("share").filter({ hasText: handles.patient });
    await card.getByRole("button", { name: "Compare safety number" }).click({ timeout: 30_000 });
    await expect
      .poll(async () => (await card.getByTestId("safety-number").textContent())?.replace(/\D/g, ""))
      .toBe(patientNumber);
    await screenshot(c, "clinician-patients");
    await card.getByRole("button", { name: "The numbers match" }).click();
    await card.getByText("Keys verified.").waitFor();
    await card.getByRole("link", { name: "Open report" }).click();
    await expect.poll(() => c.getByTestId("mean-glucose").textContent(), { timeout: 60_000 }).toMatch(/\d+ mg\/dL/);
    await c.getByTestId("agp-chart").locator("canvas").first().waitFor();
    await c.getByTestId("daily-profile").first().waitFor();
    const banner = (await c.getByTestId("grant-banner").textContent()) ?? "";
    expect(banner).toContain("Glucose readings");
    expect(banner).not.toContain("Insulin");
    expect(await c.getByTestId("insulin-summary").count()).toBe(0);
    expect(await c.getByText(PATIENT_NAME.first).count()).toBe(0);
    expect(await c.getByText(MEAL).count()).toBe(0);
    await screenshot(c, "clinician-report");

    const download = c.waitForEvent("download");
    await c.getByRole("button", { name: "Export as FHIR (HL7 CGM)" }).click();
    const bundle = JSON.parse(readFileSync((await (await download).path())!, "utf8")) as {
      resourceType: string;
      entry: { resource: { resourceType: string } }[];
    };
    expect(bundle.resourceType).toBe("Bundle");
    expect(bundle.entry.some((e) => e.resource.resourceType === "Observation")).toBe(true);
    expect(JSON.stringify(bundle)).not.toContain(PATIENT_NAME.first);
  });

  it("a colleague granted insulin and pump settings sees the insulin summary and no glucose", async () => {
    colleague = await person(env.browser, { timeZone: ZONE });
    await createGrantee(colleague.page, env.worker.url, handles.colleague);
    await shareWith(patient.page, handles.colleague, ["Insulin (basal, boluses, bolus calculator)", "Pump settings"]);
    await expectInsulinReport(colleague.page, 60_000);
    await screenshot(colleague.page, "clinician-insulin-report");
  });

  // Each grant keeps its own sync cursor on the grantee's device: dr-okafor already synced the
  // glucose grant, and the insulin grant must still bring the older insulin data.
  it("the same clinician given a second grant (insulin) sees that grant's older data too", async () => {
    await shareWith(patient.page, handles.clinician, ["Insulin (basal, boluses, bolus calculator)", "Pump settings"]);
    await expectInsulinReport(clinician.page, 15_000);
  });

  it("invites a caregiver for 48 hours, who sees live readings until the patient revokes", async () => {
    const { page } = patient;
    await nav(page, "Share").click();
    const inviteForm = page.locator("form", { has: page.getByRole("button", { name: "Create invite link" }) });
    await expect(inviteForm.getByLabel("Access ends after").inputValue()).resolves.toBe(String(48 * 3_600_000));
    await expect(inviteForm.getByRole("checkbox", { name: /Live/ }).isChecked()).resolves.toBe(true);
    await inviteForm.getByLabel("Meals, exercise and notes").check();
    await inviteForm.getByLabel("They may also add meals, exercise and notes").check();
    await screenshot(page, "patient-invite");
    await page.getByRole("button", { name: "Create invite link" }).click();
    const url = await page.getByTestId("invite-url").inputValue();
    expect(url).toContain("#invite=");

    const g = caregiver.page;
    await g.goto(url);
    await g.getByLabel("Choose a handle").fill(handles.caregiver);
    await g.getByRole("button", { name: "Create account and accept" }).click();
    await saveRecoveryKit(g);
    // The patient's open app confirms the answer by itself and issues the grant.
    await g
      .getByTestId("share")
      .filter({ hasText: handles.patient })
      .getByRole("link", { name: "Open live view" })
      .click({ timeout: 60_000 });
    await expect.poll(() => g.getByTestId("live-value").textContent(), { timeout: 60_000 }).toMatch(/^\d+$/);
    await expect(g.getByTestId("grant-banner").textContent()).resolves.toMatch(/ends in (1 d 23 h|2 d|1 d 2\d h)/);
    await screenshot(g, "caregiver-live");
    await fitsPhone(g);

    // A new reading from the patient's phone reaches the caregiver over the live socket.
    await nav(page, "Import").click();
    const next = clarityExport({ end: Date.now(), days: 0, intervalMinutes: 5, timeZone: ZONE, last: LIVE_LOW });
    await page
      .getByLabel("Export file")
      .setInputFiles({ name: "latest.csv", mimeType: "text/csv", buffer: Buffer.from(next) });
    await page.getByRole("button", { name: "Import" }).click();
    await expect.poll(() => g.getByTestId("live-value").textContent(), { timeout: 60_000 }).toBe(String(LIVE_LOW));
    await expect(g.getByTestId("alert-level").textContent()).resolves.toBe("Low");
    await expect
      .poll(() => g.evaluate(() => (window as unknown as { notified: string[] }).notified))
      .toEqual([`Low: @${handles.patient}`]);
    await screenshot(g, "caregiver-live-low");

    // The invite allowed writing events: the caregiver logs a snack, the patient sees it.
    await g.getByRole("link", { name: "Add entry" }).click();
    await g.getByLabel("What you ate").fill(SNACK);
    await g.getByLabel("Carbohydrates (g)").fill("15");
    await g.getByRole("button", { name: "Save" }).click();
    await g.getByText("Meal saved on this device").waitFor();
    await screenshot(g, "caregiver-add-entry");
    await nav(page, "Glucose").click();
    await page.getByText(SNACK).waitFor({ timeout: 30_000 });
    await g.getByRole("link", { name: "Latest readings" }).click();

    await nav(page, "Who has access").click();
    const grant = page.getByTestId("grant").filter({ hasText: handles.caregiver });
    await grant.getByRole("button", { name: `Revoke @${handles.caregiver}'s access` }).click();
    await screenshot(page, "patient-grants-revoke");
    await grant.getByRole("button", { name: `Yes, revoke @${handles.caregiver}'s access` }).click();
    await g.getByTestId("access-ended").waitFor({ timeout: 60_000 });
    expect(await g.getByTestId("live-value").count()).toBe(0);
    await screenshot(g, "caregiver-ended");
  });

  it("shows the access log to the patient", async () => {
    const { page } = patient;
    await nav(page, "Access log").click();
    await page.getByTestId("access-log").waitFor();
    const log = (await page.getByTestId("access-log").textContent()) ?? "";
    // With whom and what, in sentences: the share, the downloads, the revocation.
    expect(log).toMatch(
      new RegExp(`You shared glucose readings, \\d+ \\w+ \\d{4} – \\d+ \\w+ \\d{4} with @${handles.clinician}, until`),
    );
    expect(log).toMatch(
      new RegExp(`@${handles.clinician} downloaded [\\d,]+ encrypted pieces? of data of glucose readings`),
    );
    expect(log).toMatch(new RegExp(`You ended @${handles.caregiver}'s access to glucose readings`));
    expect(log).not.toMatch(/envelope|re-issued a grant|[0-9a-f]{32}/);
    await screenshot(page, "patient-access-log");
    await fitsPhone(page);
  });

  it("revokes everything after a suspected breach; the clinician's view ends too", async () => {
    const { page } = patient;
    await nav(page, "Who has access").click();
    await page.getByRole("button", { name: "Revoke everything" }).click();
    await page.getByRole("button", { name: "Yes, revoke everything" }).click();
    await page.getByText("Nobody can see your data right now.").waitFor({ timeout: 30_000 });
    await expect
      .poll(() => clinician.page.getByTestId("sync-state").textContent(), { timeout: 60_000 })
      .toBe("Access ended");
    await screenshot(clinician.page, "clinician-ended");
  });

  // Writes by a write grantee stay authentic after the grant ends: they were allowed when made.
  it("a device linked after the caregiver (who logged a snack) was revoked still syncs everything", async () => {
    tablet = await linkNewDevice("patient-devices-link-after-revoke");
    await expect
      .poll(() => tablet!.page.getByTestId("mean-glucose").textContent(), { timeout: 60_000 })
      .toMatch(/\d+ mg\/dL/);
    await tablet.page.getByText(SNACK).waitFor({ timeout: 30_000 });
  });

  it("lists the patient's devices by browser name and when each was last seen, and removes the tablet", async () => {
    const { page } = patient;
    const rows = page.getByTestId("device");
    // The screen reads the device list and the heads seen when it opens: opened again until every device was heard from.
    await expect
      .poll(
        async () => {
          await nav(page, "Glucose").click();
          await nav(page, "Devices").click();
          await expect.poll(() => rows.count()).toBe(3);
          return (await rows.allTextContents()).filter((text) => /^Chrome on Linux.*added .*, last seen /.test(text))
            .length;
        },
        { timeout: 90_000, interval: 2_000 },
      )
      .toBe(3);
    await screenshot(page, "patient-devices");
    // Newest first: the tablet.
    await rows.nth(0).getByRole("button", { name: "Remove this device" }).click();
    await rows.nth(0).getByRole("button", { name: "Remove Chrome on Linux: it loses access" }).click();
    await page.getByRole("heading", { name: "Removed" }).waitFor({ timeout: 60_000 });
    await expect.poll(() => rows.count()).toBe(2);
    expect(await page.locator("ul.devices.removed li").count()).toBe(1);
  });

  it("sent no glucose value, name or note text over the network, in any encoding", async () => {
    const all = [patient, clinician, colleague, caregiver, laptop, ...(tablet ? [tablet] : [])];
    await Promise.all(all.map((p) => p.network.settle()));
    const items = all.flatMap((p) => p.network.items);
    // The recording saw real traffic: envelope uploads and live frames.
    expect(items.filter((i) => i.what.startsWith("body of POST")).length).toBeGreaterThan(0);
    expect(all.reduce((n, p) => n + p.network.frames, 0)).toBeGreaterThan(0);
    const secrets = [
      MEAL,
      NOTE,
      SNACK,
      PATIENT_NAME.first,
      PATIENT_NAME.last,
      `"mgdl":${DISTINCT_MGDL}`,
      `"mgdl":${LIVE_LOW}`,
      yjsIntegerField("mgdl", DISTINCT_MGDL),
      yjsIntegerField("mgdl", LIVE_LOW),
      `,G7,${DISTINCT_MGDL},`,
      `${DISTINCT_MGDL} mg/dL`,
    ];
    expect(leaks(items, secrets)).toEqual([]);
  });
});
