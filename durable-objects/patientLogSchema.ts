// SQLite schema of a PatientLog. One table, `envelopes`, numbers every object the log stores: hour
// envelopes (kind 'update'; v1's 'compaction' rows from before v2) and blocks (kind 'block'), in one
// sequence, so a cursor means the same for both. Rows are never deleted but superseded blocks: a
// level-0 block drops the bodies of the envelopes it lists and keeps their prefix (header ‖ seal ‖
// signature), so every device chain stays verifiable.
import { envelopeLink } from "../shared/envelopeCodec.js";
import { splitEnvelopePrefix } from "../shared/syncFrames.js";
import { blob, bytesOf } from "./sql.js";

export const PATIENT_LOG_SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS envelopes (
    seq INTEGER PRIMARY KEY,
    envelope_id BLOB NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    scope_tag BLOB NOT NULL,
    generation INTEGER NOT NULL,
    hour INTEGER NOT NULL,
    prefix BLOB NOT NULL,
    body BLOB,
    size INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    link BLOB,
    level INTEGER,
    last_hour INTEGER,
    basis INTEGER,
    replaced_by INTEGER
  );
  CREATE INDEX IF NOT EXISTS envelopes_shard ON envelopes (scope_tag, generation, hour);
  CREATE INDEX IF NOT EXISTS envelopes_after ON envelopes (scope_tag, generation, seq) WHERE kind != 'block';
  CREATE INDEX IF NOT EXISTS blocks_node ON envelopes (scope_tag, generation, level, hour) WHERE kind = 'block';
  CREATE TABLE IF NOT EXISTS chains (
    author_key BLOB NOT NULL,
    device_id BLOB NOT NULL,
    last_seq INTEGER NOT NULL,
    last_link BLOB NOT NULL,
    PRIMARY KEY (author_key, device_id)
  );
  CREATE TABLE IF NOT EXISTS generations (scope_tag BLOB PRIMARY KEY, generation INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS grants (
    grant_id TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    grantee_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    policy BLOB NOT NULL,
    wire BLOB NOT NULL
  );
  CREATE INDEX IF NOT EXISTS grants_grantee ON grants (grantee_id, status);
  CREATE TABLE IF NOT EXISTS access_log (
    seq INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    actor TEXT,
    action TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  -- At most one row: a repeated grantee read not yet written to the chain (accessLogStore.ts).
  CREATE TABLE IF NOT EXISTS access_log_pending (
    key TEXT NOT NULL,
    actor TEXT,
    action TEXT NOT NULL,
    time INTEGER NOT NULL,
    details TEXT NOT NULL
  );
`;

/** Columns a v1 log lacks: added, and each v1 row's chain link computed once from its prefix. */
const V2_COLUMNS = [
  "version INTEGER NOT NULL DEFAULT 1",
  "link BLOB",
  "level INTEGER",
  "last_hour INTEGER",
  "basis INTEGER",
  "replaced_by INTEGER",
];

/** Brings a log written by the v1 server to this schema, once; afterwards one read of `meta`. */
export function migrateSchema(sql: SqlStorage): void {
  const columns = new Set(
    sql
      .exec<{ name: string }>("PRAGMA table_info(envelopes)")
      .toArray()
      .map((c) => c.name),
  );
  if (columns.has("replaced_by")) {
    sql.exec(PATIENT_LOG_SCHEMA);
    return;
  }
  if (columns.size > 0)
    for (const definition of V2_COLUMNS)
      if (!columns.has(definition.split(" ")[0]!)) sql.exec(`ALTER TABLE envelopes ADD COLUMN ${definition}`);
  sql.exec(PATIENT_LOG_SCHEMA);
  for (const row of sql
    .exec<{ seq: number; prefix: ArrayBuffer }>(
      "SELECT seq, prefix FROM envelopes WHERE link IS NULL AND kind != 'block'",
    )
    .toArray()) {
    const p = splitEnvelopePrefix(bytesOf(row.prefix));
    sql.exec(
      "UPDATE envelopes SET link = ? WHERE seq = ?",
      blob(envelopeLink(p.headerBytes, p.bodyLength, p.bodyHash)),
      row.seq,
    );
  }
}
