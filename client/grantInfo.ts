// A grant as people see it: who, which categories, which dates, until when. Built from the signed
// policy (never from the server's summary alone), for the patient's list and the grantee's shares.
import { toHex } from "../shared/bytes.js";
import type { GrantPolicy } from "../shared/grantCodec.js";
import { MS_PER_HOUR, type Scope } from "../shared/records.js";

export type GrantStatus = "active" | "revoked" | "expired";

export interface Party {
  readonly accountId: string;
  readonly handle?: string;
}

export interface GrantInfo {
  readonly grantId: string;
  readonly revision: number;
  readonly patient: Party;
  readonly grantee: Party;
  readonly scopes: readonly Scope[];
  /** Data time covered, ms UTC, inclusive (whole hours). */
  readonly from: number;
  readonly to: number;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly live: boolean;
  readonly write: boolean;
  readonly status: GrantStatus;
}

export function grantInfo(
  policy: GrantPolicy,
  scopeOf: (tag: Uint8Array) => Scope | undefined,
  status: GrantStatus,
  handleOf: (accountId: string) => string | undefined,
): GrantInfo {
  const scopes = policy.entries.map((e) => scopeOf(e.scopeTag)).filter((s): s is Scope => s !== undefined);
  // Identity lives in hour 0; the range people see is that of the time series.
  const timed = policy.entries.filter((e) => scopeOf(e.scopeTag) !== "identity");
  const fromHour = timed.length > 0 ? Math.min(...timed.map((e) => e.fromHour)) : 0;
  const toHour = timed.length > 0 ? Math.max(...timed.map((e) => e.toHour)) : 0;
  const party = (id: Uint8Array): Party => {
    const accountId = toHex(id);
    const handle = handleOf(accountId);
    return handle === undefined ? { accountId } : { accountId, handle };
  };
  return {
    grantId: toHex(policy.grantId),
    revision: policy.revision,
    patient: party(policy.patientId),
    grantee: party(policy.granteeId),
    scopes,
    from: fromHour * MS_PER_HOUR,
    to: (toHour + 1) * MS_PER_HOUR - 1,
    issuedAt: policy.issuedAt,
    expiresAt: policy.expiresAt,
    live: policy.live,
    write: policy.write,
    status,
  };
}
