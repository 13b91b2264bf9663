// Hash routes ("#/share", "#/patients/<grantId>"): every screen is reachable by URL and the back
// button, and the static host needs no fallback page. An invite's secret also rides in the hash
// ("#invite=…"), which browsers never send to a server.
import { useEffect, useState } from "preact/hooks";

export function currentRoute(): string {
  return decodeURIComponent(location.hash.replace(/^#/, "")) || "/";
}

export function useRoute(): string {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return route;
}

export function go(route: string): void {
  location.hash = route;
}

/** An invite link opens the app with "#invite=…" (the secret stays in the fragment). */
export function isInviteRoute(route: string): boolean {
  return route.startsWith("invite=");
}
