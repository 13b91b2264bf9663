// The top bar: who is using this device, the sync status (children) that stays on screen, and the
// role's screens as tabs (a nav landmark, the current one marked for screen readers) that wrap
// onto more rows on a narrow screen rather than scrolling out of sight.
import type { ComponentChildren } from "preact";

export interface Tab {
  route: string;
  label: string;
}

export function Header({
  who,
  tabs,
  route,
  children,
}: {
  who: string;
  tabs: readonly Tab[];
  route: string;
  children?: ComponentChildren;
}) {
  const current =
    tabs.filter((t) => route === t.route || (t.route !== "/" && route.startsWith(`${t.route}/`))).at(-1) ?? tabs[0];
  return (
    <>
      <div class="chrome">
        <header class="top">
          <strong>Steward</strong>
          <span class="who">{who}</span>
        </header>
        {children}
      </div>
      <nav class="tabs" aria-label="Screens">
        {tabs.map((t) => (
          <a key={t.route} href={`#${t.route}`} aria-current={t === current ? "page" : undefined}>
            {t.label}
          </a>
        ))}
      </nav>
    </>
  );
}
