// The grants of one patient log: wire bytes for the grantee, the decoded clear policy for enforcement.
import { toBase64Url } from "../shared/bytes.js";
import type { GrantSummary } from "../shared/api.js";
import { decodeGrantPolicy, type GrantPolicy } from "../shared/grantCodec.js";
import { blob, bytesOf } from "./sql.js";

export type GrantStatus = "active" | "revoked" | "expired";

export interface StoredGrant {
  readonly grantId: string;
  readonly revision: number;
  readonly granteeId: string;
  readonly expiresAt: number;
  readonly status: GrantStatus;
  readonly policy: GrantPolicy;
  readonly wire: Uint8Array;
}

type Row = {
  grant_id: string;
  revision: number;
  grantee_id: string;
  expires_at: number;
  status: string;
  policy: ArrayBuffer;
  wire: ArrayBuffer;
};

function fromRow(r: Row): StoredGrant {
  return {
    grantId: r.grant_id,
    revision: r.revision,
    granteeId: r.grantee_id,
    expiresAt: r.expires_at,
    status: r.status as GrantStatus,
    policy: decodeGrantPolicy(bytesOf(r.policy)),
    wire: bytesOf(r.wire),
  };
}

export function summarize(g: StoredGrant, now: number): GrantSummary {
  const status = g.status === "active" && g.expiresAt <= now ? "expired" : g.status;
  return {
    grantId: g.grantId,
    revision: g.revision,
    granteeId: g.granteeId,
    write: g.policy.write,
    live: g.policy.live,
    issuedAt: g.policy.issuedAt,
    expiresAt: g.expiresAt,
    status,
    grant: toBase64Url(g.wire),
  };
}

export class GrantStore {
  constructor(private readonly sql: SqlStorage) {}

  get(grantId: string): StoredGrant | null {
    const row = this.sql.exec<Row>("SELECT * FROM grants WHERE grant_id = ?", grantId).toArray()[0];
    return row ? fromRow(row) : null;
  }

  put(g: Omit<StoredGrant, "status" | "policy"> & { policyBytes: Uint8Array }): void {
    this.sql.exec(
      "INSERT INTO grants (grant_id, revision, grantee_id, expires_at, status, policy, wire) VALUES (?, ?, ?, ?, 'active', ?, ?) ON CONFLICT (grant_id) DO UPDATE SET revision = excluded.revision, expires_at = excluded.expires_at, policy = excluded.policy, wire = excluded.wire",
      g.grantId,
      g.revision,
      g.granteeId,
      g.expiresAt,
      blob(g.policyBytes),
      blob(g.wire),
    );
  }

  setStatus(grantId: string, status: Exclude<GrantStatus, "active">): void {
    this.sql.exec("UPDATE grants SET status = ? WHERE grant_id = ?", status, grantId);
  }

  all(): StoredGrant[] {
    return this.sql.exec<Row>("SELECT * FROM grants ORDER BY grant_id").toArray().map(fromRow);
  }

  /**
   * Grants of this grantee that are active and not past expiry, whatever the alarm has done yet, in
   * grant id order (so two identical reads name their grants identically in the access log).
   */
  liveFor(granteeId: string, now: number): StoredGrant[] {
    return this.sql
      .exec<Row>(
        "SELECT * FROM grants WHERE grantee_id = ? AND status = 'active' AND expires_at > ? ORDER BY grant_id",
        granteeId,
        now,
      )
      .toArray()
      .map(fromRow);
  }

  /** Every grant that is active and not past expiry, whoever holds it. */
  live(now: number): StoredGrant[] {
    return this.sql
      .exec<Row>("SELECT * FROM grants WHERE status = 'active' AND expires_at > ?", now)
      .toArray()
      .map(fromRow);
  }

  /** The most recent grant of this grantee, to say why a request without a live one is refused. */
  latestFor(granteeId: string): StoredGrant | null {
    const row = this.sql
      .exec<Row>("SELECT * FROM grants WHERE grantee_id = ? ORDER BY expires_at DESC LIMIT 1", granteeId)
      .toArray()[0];
    return row ? fromRow(row) : null;
  }

  active(): StoredGrant[] {
    return this.sql.exec<Row>("SELECT * FROM grants WHERE status = 'active'").toArray().map(fromRow);
  }

  dueToExpire(now: number): StoredGrant[] {
    return this.sql
      .exec<Row>("SELECT * FROM grants WHERE status = 'active' AND expires_at <= ?", now)
      .toArray()
      .map(fromRow);
  }

  nextExpiry(): number | null {
    return this.sql.exec<{ t: number | null }>("SELECT min(expires_at) AS t FROM grants WHERE status = 'active'").one()
      .t;
  }
}
