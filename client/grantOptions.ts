// Checks what a person passes to share, invite and "revoke everything" before anything is signed
// or sent: a wrong category, range or keep entry is a MalformedInput that names it, not a TypeError
// from deep inside, and never a silent no-op.
import { MalformedInput } from "../shared/errors.js";
import { SCOPES, type Scope } from "../shared/records.js";
import type { GrantInfo } from "./grantInfo.js";

export interface GrantTerms {
  readonly scopes: readonly Scope[];
  /** Data time range, ms UTC. A live grant also covers new data up to its expiry. */
  readonly from: number;
  readonly to: number;
  readonly expiresAt: number;
  readonly live?: boolean;
  readonly write?: boolean;
}

function isTime(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

/** Throws MalformedInput naming the first thing wrong with `terms`. */
export function checkGrantTerms(terms: GrantTerms, now = Date.now()): void {
  if (!Array.isArray(terms.scopes) || terms.scopes.length === 0)
    throw new MalformedInput("choose at least one category to share");
  for (const scope of terms.scopes as unknown[]) {
    if (!SCOPES.includes(scope as Scope))
      throw new MalformedInput(`${JSON.stringify(scope)} is not a category; choose from ${SCOPES.join(", ")}`);
  }
  if (new Set(terms.scopes).size !== terms.scopes.length) throw new MalformedInput("a category is listed twice");
  for (const field of ["from", "to", "expiresAt"] as const) {
    if (!isTime(terms[field]))
      throw new MalformedInput(
        `${field} must be a time in milliseconds since 1970 (got ${JSON.stringify(terms[field])})`,
      );
  }
  if (terms.to < terms.from) throw new MalformedInput("the end of the shared range is before its start");
  if (terms.expiresAt <= now) throw new MalformedInput("the access must end in the future");
  for (const flag of ["live", "write"] as const) {
    if (terms[flag] !== undefined && typeof terms[flag] !== "boolean")
      throw new MalformedInput(`${flag} must be true or false`);
  }
}

/** Who to keep after "revoke everything": a grant (or its id), a contact (or its account id), or a handle. */
export type KeepEntry = string | { readonly grantId: string } | { readonly accountId: string };

/**
 * The active grants `keep` names. Every entry must name at least one of them: a typo or a stale id
 * is refused before anything is revoked, instead of silently keeping nobody.
 */
export function grantsToKeep(active: readonly GrantInfo[], keep: readonly KeepEntry[]): GrantInfo[] {
  if (!Array.isArray(keep)) throw new MalformedInput("keep must be a list of grants, contacts, account ids or handles");
  const kept = new Set<GrantInfo>();
  const unknown: string[] = [];
  for (const entry of keep) {
    const matches = active.filter((g) => names(entry, g));
    if (matches.length === 0) unknown.push(typeof entry === "string" ? entry : JSON.stringify(entry));
    for (const g of matches) kept.add(g);
  }
  if (unknown.length > 0) {
    throw new MalformedInput(
      `nothing was revoked: ${unknown.join(", ")} ${unknown.length === 1 ? "names" : "name"} no active grant (pass grants, contacts, account ids or handles of people you shared with)`,
    );
  }
  return [...kept];
}

function names(entry: KeepEntry, grant: GrantInfo): boolean {
  if (typeof entry === "string") {
    const text = entry.trim().replace(/^@/, "").toLowerCase();
    return text === grant.grantId || text === grant.grantee.accountId || text === grant.grantee.handle?.toLowerCase();
  }
  if (entry && typeof entry === "object" && "grantId" in entry) return entry.grantId === grant.grantId;
  if (entry && typeof entry === "object" && "accountId" in entry) return entry.accountId === grant.grantee.accountId;
  return false;
}
