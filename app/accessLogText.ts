// The access log in plain sentences: who did what to whose access, to which categories and dates,
// and the figures a person can use (how much was downloaded, how often, why a request was refused),
// without ids. Grant ids in an entry are resolved through the patient's own list of grants.
import type { AccessEvent, GrantInfo } from "../client/index.js";
import { date, dateTime, scopeNames } from "./format.js";

export interface LogContext {
  /** The patient's own account id: their entries read "You". */
  me: string;
  grants: ReadonlyMap<string, GrantInfo>;
}

const who = (event: AccessEvent, ctx: LogContext) =>
  event.actor.accountId === ctx.me
    ? "You"
    : event.actor.handle
      ? `@${event.actor.handle}`
      : event.actor.accountId
        ? `Account ${event.actor.accountId.slice(0, 8)}…`
        : "The server";

const handleOf = (grant: GrantInfo | undefined) =>
  grant ? `@${grant.grantee.handle ?? `${grant.grantee.accountId.slice(0, 8)}…`}` : "someone";

/** "glucose readings and insulin, 17 Nov 2026 – 1 Dec 2026" */
function what(grant: GrantInfo | undefined): string {
  if (!grant) return "data (a grant this device no longer lists)";
  return `${scopeNames(grant.scopes)}, ${date(grant.from)} – ${date(grant.to)}${grant.live ? " and new data as it arrives" : ""}`;
}

const grantOf = (id: unknown, ctx: LogContext) => (typeof id === "string" ? ctx.grants.get(id) : undefined);
const grantsOf = (ids: unknown, ctx: LogContext) => (Array.isArray(ids) ? ids.map((id) => grantOf(id, ctx)) : []);

function pieces(count: unknown): string {
  return typeof count === "number"
    ? `${count.toLocaleString("en-GB")} encrypted piece${count === 1 ? "" : "s"} of data`
    : "encrypted data";
}

/** Why a request was refused, by the server's code (its message names ids a person cannot use). */
const REFUSED_BECAUSE: Record<string, string> = {
  malformed: "the request was not well formed",
  too_large: "the request was too large",
  unauthenticated: "not signed in",
  forbidden: "no access to this data",
  outside_grant: "it asked for data outside the access it was given",
  expired_grant: "the access had expired",
  revoked_grant: "the access had been ended",
  not_found: "what it asked for does not exist",
  conflict: "it repeated a change already made differently",
  stale_generation: "it used keys replaced since",
  chain_broken: "it did not continue the device's earlier writes",
  rate_limited: "too many requests",
};

/** The entry as one sentence: "You shared glucose readings, 17 Nov – 1 Dec with @dr-okafor until 31 Dec." */
export function describeEvent(event: AccessEvent, ctx: LogContext): string {
  const d = event.details;
  const actor = who(event, ctx);
  const grant = grantOf(d.grantId, ctx);
  switch (event.action) {
    case "grant.create":
      return `${actor} shared ${what(grant)} with ${handleOf(grant)}, until ${typeof d.expiresAt === "number" ? dateTime(d.expiresAt) : "the end date"}${d.write ? "; they may add meals, exercise and notes" : ""}.`;
    case "grant.update":
      return `${actor} gave ${handleOf(grant)} new keys for the same access (${what(grant)}), after another access ended.`;
    case "grant.revoke":
      return `${actor} ended ${handleOf(grant)}'s access to ${what(grant)}.`;
    case "grant.revokeAll": {
      const ended = grantsOf(d.grantIds, ctx).map(handleOf);
      return `${actor} ended every access at once${ended.length > 0 ? ` (${ended.join(", ")})` : ""} and replaced all data keys.`;
    }
    case "grant.expire":
      return `${handleOf(grant)}'s access to ${what(grant)} expired.`;
    case "pull": {
      const shared = grantsOf(d.grants, ctx);
      const of = shared.length > 0 ? ` of ${shared.map(what).join("; ")}` : "";
      return d.count === 0
        ? `${actor} checked for new data${of}: there was none.`
        : `${actor} downloaded ${pieces(d.count)}${of}.`;
    }
    case "socket.open": {
      const shared = grantsOf(d.grants, ctx);
      return `${actor} opened a live connection${shared.length > 0 ? ` for ${shared.map(what).join("; ")}` : ""}.`;
    }
    case "push":
      return `${actor} added ${pieces(d.count)}.`;
    case "refused": {
      const because = REFUSED_BECAUSE[String(d.code)] ?? "the server did not allow the request";
      if (typeof d.callers === "number")
        return `${d.callers.toLocaleString("en-GB")} more callers were refused${d.code === "*" ? "" : `: ${because}`}.`;
      return `${actor} ${actor === "You" ? "were" : "was"} refused: ${because}.`;
    }
    case "open":
      return `${actor} opened ${what(grant)}.`;
    case "read":
      return `${actor}'s device received ${pieces(d.count)} of ${what(grant)}.`;
  }
}

/** Whose word an entry is: a receipt the reader's own device signed, or only what the server logged. */
export function witnessText(event: AccessEvent): string {
  return event.witness === "reader" ? "Signed by their device." : "The server's word.";
}

/** The receipts of the same device the server did not show before this one, if any. */
export function missingText(event: AccessEvent): string | undefined {
  const gap = event.missingReceipts;
  if (!gap) return undefined;
  const count = gap.to - gap.from + 1;
  return `${count} earlier receipt${count === 1 ? "" : "s"} from this device ${count === 1 ? "is" : "are"} missing: the server did not show ${count === 1 ? "it" : "them"}.`;
}

/** When the server showed this reader older data than your devices had written, if it did. */
export function olderText(event: AccessEvent): string | undefined {
  if (event.shownOlderThan === undefined) return undefined;
  return `Their device was shown older data than your devices had written by ${new Date(event.shownOlderThan).toLocaleString()}: the server was keeping newer data from them.`;
}

/** How often and until when, for entries that stand for repeated requests. */
export function repeatText(event: AccessEvent): string | undefined {
  const d = event.details;
  if (typeof d.times !== "number" || d.times < 2) return undefined;
  return `${d.times} times, the last at ${new Date(Number(d.lastTime)).toLocaleTimeString()}`;
}
