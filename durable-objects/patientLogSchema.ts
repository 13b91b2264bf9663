// SQLite schema of a PatientLog. Envelope rows are never deleted: compaction drops a body and keeps
// the prefix (header ‖ seal ‖ signature), so every device chain stays verifiable.
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
    size INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS envelopes_shard ON envelopes (scope_tag, generation, hour);
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
