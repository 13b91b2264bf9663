// Shares this device saw that have since ended (revoked or expired), so the list of patients says
// "ended" instead of "nobody shared". Kept per account in localStorage: grant ids, handles and the
// categories only, never data.
import type { Share } from "../client/index.js";

export interface EndedShare {
  grantId: string;
  patient: string;
  scopes: readonly string[];
  endedAt: number;
}

interface Stored {
  seen: Record<string, { patient: string; scopes: readonly string[] }>;
  ended: EndedShare[];
}

const key = (accountId: string) => `steward.shares.${accountId}`;

function load(accountId: string): Stored {
  try {
    return { seen: {}, ended: [], ...(JSON.parse(localStorage.getItem(key(accountId)) ?? "{}") as Partial<Stored>) };
  } catch {
    return { seen: {}, ended: [] };
  }
}

function save(accountId: string, stored: Stored): void {
  try {
    localStorage.setItem(key(accountId), JSON.stringify(stored));
  } catch {
    // Without storage the list only says what the server lists now.
  }
}

/**
 * Compares a fresh listing from the server with the shares seen before: those gone are ended.
 * Returns every ended share, newest first.
 */
export function noteShares(accountId: string, current: readonly Share[], now = Date.now()): EndedShare[] {
  const stored = load(accountId);
  const live = new Set(current.map((s) => s.grantId));
  for (const [grantId, seen] of Object.entries(stored.seen)) {
    if (!live.has(grantId)) {
      stored.ended.unshift({ grantId, ...seen, endedAt: now });
      delete stored.seen[grantId];
    }
  }
  for (const s of current)
    stored.seen[s.grantId] = { patient: `@${s.patient.handle ?? s.patient.accountId}`, scopes: s.scopes };
  stored.ended = stored.ended.filter((e) => !live.has(e.grantId));
  save(accountId, stored);
  return stored.ended;
}

/** A share this device watched end (its view said so) before the next listing. */
export function noteEnded(accountId: string, share: Share, now = Date.now()): void {
  const stored = load(accountId);
  delete stored.seen[share.grantId];
  if (!stored.ended.some((e) => e.grantId === share.grantId))
    stored.ended.unshift({
      grantId: share.grantId,
      patient: `@${share.patient.handle ?? share.patient.accountId}`,
      scopes: share.scopes,
      endedAt: now,
    });
  save(accountId, stored);
}

export function forgetEnded(accountId: string, grantId: string): void {
  const stored = load(accountId);
  stored.ended = stored.ended.filter((e) => e.grantId !== grantId);
  save(accountId, stored);
}

export function endedShares(accountId: string): EndedShare[] {
  return load(accountId).ended;
}
