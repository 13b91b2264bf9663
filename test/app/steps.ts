// Steps that several browser suites take the same way: creating accounts past the recovery kit,
// moving between screens, sharing from the patient's Share screen.
import type { Page } from "playwright-core";
import { encode } from "uqr";
import { expect } from "vitest";

/** A link of the app's main navigation. */
export function nav(page: Page, name: string) {
  return page.getByRole("navigation", { name: "Screens" }).getByRole("link", { name, exact: true });
}

/** Confirms the recovery kit screen after checking it shows a code. */
export async function saveRecoveryKit(page: Page): Promise<void> {
  await page.getByTestId("recovery-code").waitFor();
  expect((await page.getByTestId("recovery-code").textContent())?.trim().length).toBeGreaterThan(20);
  await page.getByLabel("I saved or printed my recovery kit").check();
  await page.getByRole("button", { name: "Continue" }).click();
}

/** A patient account on this page, ending on the glucose dashboard. */
export async function createPatient(page: Page, server: string, handle: string): Promise<void> {
  await page.goto(`${server}/#/start/patient`);
  await page.getByLabel("Choose a handle").fill(handle);
  await page.getByRole("button", { name: "Create account" }).click();
  await saveRecoveryKit(page);
  await page.getByRole("heading", { name: "Your glucose" }).waitFor();
}

/** A clinician or caregiver account on this page, ending on the list of patients. */
export async function createGrantee(page: Page, server: string, handle: string): Promise<void> {
  await page.goto(`${server}/#/start/grantee`);
  await page.getByLabel("Choose a handle").fill(handle);
  await page.getByRole("button", { name: "Create account" }).click();
  await saveRecoveryKit(page);
  await page.getByRole("heading", { name: "Patients who shared with you" }).waitFor();
}

/** The patient shares the last 14 days of `scopes` (labels) with a handle, comparing safety numbers when new. */
export async function shareWith(page: Page, handle: string, scopes: string[]): Promise<void> {
  await nav(page, "Share").click();
  await page.getByLabel("Their handle").fill(handle);
  await page.getByRole("button", { name: "Find" }).click();
  const verify = page.getByRole("button", { name: "The numbers match" });
  const form = page.locator("form", { has: page.getByRole("button", { name: `Share with @${handle}` }) });
  await verify.or(form).first().waitFor();
  if (await verify.isVisible()) await verify.click();
  await form.getByLabel("Glucose readings (CGM and finger-stick)").uncheck();
  for (const scope of scopes) await form.getByLabel(scope).check();
  await page.getByRole("button", { name: `Share with @${handle}` }).click();
  await page.getByRole("heading", { name: "Who has access" }).waitFor();
}

/** The patient imports an export from the Import screen and waits for its summary. */
export async function importExport(page: Page, name: string, content: string, timeZone: string): Promise<string> {
  await nav(page, "Import").click();
  await page.getByLabel("Export file").setInputFiles({
    name,
    mimeType: name.endsWith(".json") ? "application/json" : "text/csv",
    buffer: Buffer.from(content),
  });
  await page.getByLabel("Time zone the device clock was set to").selectOption(timeZone);
  await page.getByRole("button", { name: "Import" }).click();
  await expect
    .poll(() => page.getByTestId("import-summary").textContent(), { timeout: 120_000 })
    .toMatch(/Imported \d+/);
  return (await page.getByTestId("import-summary").textContent()) ?? "";
}

/** The report's section headings in the order a reader meets them, once all of it is drawn. */
export async function reportSections(page: Page): Promise<string[]> {
  await page.locator('[data-testid="report"]:not([aria-busy])').waitFor();
  return page.getByTestId("report").locator("section.report-section > h2").allTextContents();
}

/** The SVG path of a QR code of `text` as uqr encodes it: what the app's QR component must draw. */
export function qrPath(text: string): string {
  let d = "";
  for (const [y, row] of encode(text, { border: 2, ecc: "M" }).data.entries()) {
    for (const [x, dark] of row.entries()) if (dark) d += `M${x},${y}h1v1h-1z`;
  }
  return d;
}
