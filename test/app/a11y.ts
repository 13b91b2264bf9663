// Accessibility checks a person relies on, run in the page: axe-core's WCAG 2 A/AA rules (text
// contrast of at least 4.5:1 among them), and no number shown or announced as a raw fraction.
import type { Page } from "playwright-core";
import axe from "axe-core";

export interface Violation {
  id: string;
  impact: string | null;
  nodes: string[];
}

export async function axeViolations(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axe.source);
  return page.evaluate(async () => {
    const run = (window as unknown as { axe: typeof axe }).axe.run;
    const result = await run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] },
      resultTypes: ["violations"],
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")}: ${n.failureSummary ?? ""}`),
    }));
  });
}

/** Visible text and accessible names that print a number with four or more decimals (0.3203661327…). */
export async function rawFractions(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const texts = [
      document.body.innerText,
      ...[...document.querySelectorAll("[aria-label]")].map((e) => e.getAttribute("aria-label") ?? ""),
      ...[...document.querySelectorAll("[aria-valuenow],meter,progress")].map(
        (e) => e.getAttribute("aria-valuetext") ?? "",
      ),
    ];
    return texts.flatMap((t) => t.match(/\d\.\d{4,}/g) ?? []);
  });
}
