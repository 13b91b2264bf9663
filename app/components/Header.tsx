// The top bar: who is using this device and the role's screens as tabs (a nav landmark,
// the current one marked for screen readers).
export interface Tab {
  route: string;
  label: string;
}

export function Header({ who, tabs, route }: { who: string; tabs: readonly Tab[]; route: string }) {
  const current = tabs.filter((t) => route === t.route || (t.route !== "/" && route.startsWith(`${t.route}/`))).at(-1) ?? tabs[0];
  return (
    <header class="top">
      <div class="title">
        <strong>Steward</strong>
        <span class="who">{who}</span>
      </div>
      <nav class="tabs" aria-label="Screens">
        {tabs.map((t) => (
          <a key={t.route} href={`#${t.route}`} aria-current={t === current ? "page" : undefined}>
            {t.label}
          </a>
        ))}
      </nav>
    </header>
  );
}
