// What a person reads when something fails: what happened and what to do, in a sentence. The SDK's
// messages name routes and addresses for developers; those go to the console, never on screen.
import { ExpiredGrant, RequestRefused, RevokedGrant, ServerUnreachable, StewardError } from "../client/index.js";

const OFFLINE =
  "Steward cannot reach its server right now (are you offline?). Nothing is lost: what is on this device stays here; try again once you are back online.";

/** "POST /v1/accounts: the handle is taken" → "The handle is taken." */
function sentence(text: string): string {
  const bare = text
    .replace(/^[A-Z]+ \/\S*: /, "")
    .replace(/^cannot reach \S+: [^;]*; ?/, "")
    .trim();
  if (!bare) return "Something went wrong; try again.";
  const capital = bare[0]!.toUpperCase() + bare.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

export function personMessage(error: unknown): string {
  if (error instanceof ServerUnreachable || error instanceof TypeError) return OFFLINE;
  if (error instanceof ExpiredGrant || error instanceof RevokedGrant) return sentence(error.message);
  if (error instanceof RequestRefused) {
    if (error.status === 429) return "Too many attempts in a short time: wait a minute, then try again.";
    if (error.status >= 500) return "The Steward server had a problem. Nothing is lost; try again in a moment.";
    if (error.reason === "unauthenticated")
      return "Your session with the server expired. Reload the page to sign in again.";
    return sentence(error.message);
  }
  if (error instanceof StewardError) return sentence(error.message);
  if (error instanceof DOMException && error.name === "AbortError") return "Stopped.";
  return "Something went wrong on this device. Reload the page and try again; if it keeps happening, the details are in the browser's console.";
}

/** Logs the developer's details once per error object, for the console. */
const logged = new WeakSet<object>();
export function logError(error: unknown): void {
  if (typeof error !== "object" || error === null || logged.has(error)) return;
  logged.add(error);
  console.warn("Steward:", error);
}
