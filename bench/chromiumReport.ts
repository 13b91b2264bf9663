// The clinician's report in the real app: Debian's Chromium (playwright-core) signs a clinician up
// in the web app served by the worker, the patient shares the last 90 days with it, and the time is
// taken from clicking "Open report" on the share to the time in range and the AGP chart on screen.
// That is the SDK in the browser: Chromium's IndexedDB, WebCrypto-free libsodium, the report's
// metrics. Skipped without Chromium.
import { existsSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { chromium } from "playwright-core";
import { fromBase64Url } from "../shared/bytes.js";
import { decodeKeyBundle } from "../shared/keyBundle.js";
import { DAY, HOUR } from "./data.js";
import { since } from "./stats.js";
import { grantFor, handle, postGrant, type PatientAccount } from "./steward.js";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface ChromiumReport {
  readonly days: number;
  /** From the click on "Open report" to the time in range and the AGP chart drawn, each run. */
  readonly runsMs: number[];
  readonly ms: number;
}

export async function chromiumReport(
  server: string,
  patient: PatientAccount,
  end: number,
  days: number,
  runs: number,
): Promise<ChromiumReport | undefined> {
  if (!existsSync(CHROMIUM)) return undefined;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  try {
    const runsMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      // A new profile each run: a cold open, nothing of the patient cached.
      const context = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        timezoneId: "Europe/Paris",
        locale: "en-GB",
      });
      const page = await context.newPage();
      const name = handle("dr");
      await page.goto(`${server}/#/start/grantee`);
      await page.getByLabel("Choose a handle").fill(name);
      await page.getByRole("button", { name: "Create account" }).click();
      await page.getByTestId("recovery-code").waitFor();
      await page.getByLabel("I saved or printed my recovery kit").check();
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByRole("heading", { name: "Patients who shared with you" }).waitFor();
      const profile = await patient.api.lookupHandle(name);
      const toHour = Math.floor(end / HOUR);
      await postGrant(
        patient,
        grantFor(patient, decodeKeyBundle(fromBase64Url(profile.bundle)), {
          scopes: ["glucose", "insulin", "events"],
          fromHour: toHour - days * 24,
          toHour,
          expiresAt: end + 30 * DAY,
        }),
      );
      await page.reload();
      const open = page.getByTestId("share").getByRole("link", { name: "Open report" });
      await open.waitFor({ timeout: 30_000 });
      const start = performance.now();
      await open.click();
      await page.getByTestId("time-in-range").waitFor({ timeout: 60_000 });
      await page.getByTestId("agp-chart").locator("canvas").first().waitFor({ timeout: 60_000 });
      runsMs.push(since(start));
      await context.close();
    }
    return { days, runsMs, ms: [...runsMs].sort((a, b) => a - b)[Math.floor((runsMs.length - 1) / 2)]! };
  } finally {
    await browser.close();
  }
}
