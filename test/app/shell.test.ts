// The app shell in a real browser: the welcome screen renders from the worker's static assets,
// and after one visit the service worker brings it back with the network switched off.
import { describe, expect, it } from "vitest";
import { axeViolations } from "./a11y.js";
import { chromiumMissing, workerAndBrowser, overflowing, person, screenshot } from "./browser.js";

describe.skipIf(chromiumMissing)("app shell", () => {
  const env = workerAndBrowser();

  it("shows the welcome screen, and loads again offline after the first visit", async () => {
    const { context, page } = await person(env.browser, { phone: true });
    await page.goto(env.worker.url);
    await page.getByRole("heading", { name: "Welcome to Steward" }).waitFor();
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await screenshot(page, "welcome");
    // Every screen before an account: readable (WCAG A/AA), fitting a phone, looked at.
    for (const [route, heading, name] of [
      ["start/patient", "Create your account", "welcome-create-patient"],
      ["start/grantee", "Create a clinician or caregiver account", "welcome-create-grantee"],
      ["start/recover", "Recover your account", "welcome-recover"],
      ["start/link", "Link this device", "welcome-link"],
      ["open-report", "Open a report file", "welcome-open-report"],
    ] as const) {
      await page.goto(`${env.worker.url}/#/${route}`);
      await page.getByRole("heading", { name: heading }).waitFor();
      expect(
        (await axeViolations(page)).filter((v) => v.impact === "serious" || v.impact === "critical"),
        route,
      ).toEqual([]);
      expect(await overflowing(page), route).toEqual([]);
      await screenshot(page, name);
    }
    await page.goto(env.worker.url);
    await page.getByRole("heading", { name: "Welcome to Steward" }).waitFor();

    await context.setOffline(true);
    await page.reload();
    await page.getByRole("heading", { name: "Welcome to Steward" }).waitFor();
    await page.getByRole("button", { name: "Create my account" }).click();
    await page.getByLabel("Choose a handle").waitFor();
    await screenshot(page, "welcome-offline-create");
    // Creating an account needs the server once: offline, the form says so instead of hanging.
    await page.getByLabel("Choose a handle").fill("offline-person");
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toMatch(/reach|offline|network/i);
    await context.close();
  });
});
