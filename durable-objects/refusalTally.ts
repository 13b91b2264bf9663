// Refused requests, counted instead of logged one by one: a stranger probing a patient's log (with
// one account or a thousand, one route or all of them) must not grow the access log without bound.
// Refusals are tallied per hour, caller, route and error code, and written to the hash-chained log
// when the patient reads it or the hour is over: one entry per caller and kind (dated at the first
// refusal, with how many there were), for the NAMED_PER_HOUR callers refused most, and one entry
// summing everyone else. So an hour adds a bounded number of entries, whatever was sent.
import type { AccessLogStore } from "./accessLogStore.js";

export const REFUSAL_WINDOW_MS = 3_600_000;
/** Callers named in the log per hour; the rest are summed into one entry. */
export const NAMED_PER_HOUR = 20;
/** Callers tallied apart per hour; later ones are counted together from the start. */
const TRACKED_PER_HOUR = 1_000;
const OTHERS = "*";

type Row = {
  window: number;
  actor: string;
  route: string;
  code: string;
  reason: string;
  times: number;
  first: number;
  last: number;
};

export class RefusalTally {
  constructor(
    private readonly sql: SqlStorage,
    private readonly log: AccessLogStore,
  ) {
    sql.exec(
      "CREATE TABLE IF NOT EXISTS refusal_tally (window INTEGER NOT NULL, actor TEXT NOT NULL, route TEXT NOT NULL, code TEXT NOT NULL, reason TEXT NOT NULL, times INTEGER NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL, PRIMARY KEY (window, actor, route, code))",
    );
  }

  /** Counts one refusal; earlier hours' tallies are written to the log first. */
  count(actor: string | null, route: string, code: string, reason: string, now = Date.now()): void {
    const window = Math.floor(now / REFUSAL_WINDOW_MS);
    this.flush(window);
    const name = actor ?? "";
    const known =
      this.sql.exec("SELECT 1 FROM refusal_tally WHERE window = ? AND actor = ? LIMIT 1", window, name).toArray()
        .length > 0;
    const tracked = this.sql
      .exec<{ n: number }>("SELECT count(DISTINCT actor) AS n FROM refusal_tally WHERE window = ?", window)
      .one().n;
    const who = known || tracked < TRACKED_PER_HOUR ? name : OTHERS;
    this.sql.exec(
      "INSERT INTO refusal_tally (window, actor, route, code, reason, times, first, last) VALUES (?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (window, actor, route, code) DO UPDATE SET times = times + 1, last = excluded.last, reason = excluded.reason",
      window,
      who,
      route,
      code,
      reason,
      now,
      now,
    );
  }

  /** Writes the tallies of hours before `window` (all of them by default) to the log. */
  flush(window = Number.MAX_SAFE_INTEGER): void {
    const rows = this.sql
      .exec<Row>("SELECT * FROM refusal_tally WHERE window < ? ORDER BY window, first", window)
      .toArray();
    if (rows.length === 0) return;
    this.sql.exec("DELETE FROM refusal_tally WHERE window < ?", window);
    for (const hour of new Set(rows.map((r) => r.window))) this.write(rows.filter((r) => r.window === hour));
  }

  private write(rows: readonly Row[]): void {
    const totals = new Map<string, number>();
    for (const r of rows) if (r.actor !== OTHERS) totals.set(r.actor, (totals.get(r.actor) ?? 0) + r.times);
    const named = new Set(
      [...totals]
        .sort((a, b) => b[1] - a[1])
        .slice(0, NAMED_PER_HOUR)
        .map(([actor]) => actor),
    );
    const rest = rows.filter((r) => !named.has(r.actor));
    for (const r of rows.filter((r) => named.has(r.actor))) {
      this.log.append(
        r.actor || null,
        "refused",
        { route: r.route, code: r.code, reason: r.reason, times: r.times, lastTime: r.last },
        r.first,
      );
    }
    if (rest.length === 0) return;
    // Callers beyond the tracked number were counted under OTHERS: "at least" this many.
    const callers = new Set(rest.map((r) => r.actor)).size;
    const codes = [...new Set(rest.map((r) => r.code))];
    const details = {
      route: "*",
      code: codes.length === 1 ? codes[0] : "*",
      reason: `requests by ${rest.some((r) => r.actor === OTHERS) ? "at least " : ""}${callers} more callers were refused`,
      callers,
      times: rest.reduce((n, r) => n + r.times, 0),
      lastTime: Math.max(...rest.map((r) => r.last)),
    };
    this.log.append(null, "refused", details, Math.min(...rest.map((r) => r.first)));
  }
}
