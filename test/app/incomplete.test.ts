// A clinician's report once the patient's devices go quiet: past the heartbeat bound nothing new
// and data held back look the same, so the status bar says the report may be incomplete, since
// when, and which of the patient's devices has not been heard from (a phone left off, or a server
// holding its data back: the person can tell which).
import { describe, expect, it } from "vitest";
import { chromiumMissing, person, screenshot, workerAndBrowser } from "./browser.js";
import { createGrantee, createPatient, shareWith } from "./steps.js";

const ZONE = "Europe/Berlin";

describe.skipIf(chromiumMissing)("a report whose patient's devices went quiet", () => {
  const env = workerAndBrowser();

  it("says 'possibly incomplete since <time>' and names the quiet device once the bound has passed", async () => {
    const suffix = Date.now().toString(36).slice(-5);
    const handles = { patient: `quiet-${suffix}`, clinician: `dr-quiet-${suffix}` };
    const patient = await person(env.browser, { timeZone: ZONE });
    const clinician = await person(env.browser, { timeZone: ZONE });
    // The clinician's clock runs as usual until the test moves it on.
    await clinician.context.clock.install();
    await createPatient(patient.page, env.worker.url, handles.patient);
    await createGrantee(clinician.page, env.worker.url, handles.clinician);
    await shareWith(patient.page, handles.clinician, ["Glucose readings (CGM and finger-stick)"]);

    const c = clinician.page;
    const card = c.getByTestId("share").filter({ hasText: handles.patient });
    await card.getByRole("button", { name: "Compare safety number" }).click({ timeout: 30_000 });
    await card.getByRole("button", { name: "The numbers match" }).click();
    await card.getByRole("link", { name: "Open report" }).click();
    await c.getByText(/synced (just now|\d+ min ago)/).waitFor({ timeout: 60_000 });
    expect(await c.getByTestId("sync-incomplete").count()).toBe(0);

    // The patient's only device closes; twenty minutes later the clinician syncs.
    await patient.context.close();
    await c.clock.fastForward("20:00");
    await c.getByRole("button", { name: "Sync now" }).click();
    const notice = c.getByTestId("sync-incomplete");
    await notice.waitFor({ timeout: 30_000 });
    expect(await notice.textContent()).toMatch(
      /^possibly incomplete since .*\d{2}:\d{2} \(nothing heard from “[^”]+” since\)$/,
    );
    await screenshot(c, "clinician-possibly-incomplete");
    await clinician.context.close();
  });
});
