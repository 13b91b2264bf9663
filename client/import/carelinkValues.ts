// Cell parsers for CareLink CSV: locale decimals, the formats' date styles, durations, Raw-Values maps.

/** A number in either locale ("1,9" or "1.9"); undefined for an empty or non-numeric cell. */
export function num(cell: string | undefined): number | undefined {
  const s = cell?.trim();
  if (!s) return undefined;
  // Only a lone decimal comma is converted, so "1,234.5"-style thousands never get misread.
  const n = Number(/^[-+]?\d+,\d+$/.test(s) ? s.replace(",", ".") : s);
  return Number.isFinite(n) ? n : undefined;
}

const twoDigitYear = (y: number) => (y < 100 ? 2000 + y : y);

/** Wall-clock ms (read as UTC) from a date cell and an optional separate time cell. */
export function wallTime(date: string | undefined, time?: string): number | undefined {
  const d = date?.trim() ?? "";
  let text = time ? `${d} ${time.trim()}` : d;
  let m = /^(\d{4})[/-](\d{1,2})[/-](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?/.exec(text);
  if (m) return utc(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  const ampm = /\s*([AP]M)$/i.exec(text);
  if (ampm) text = text.slice(0, ampm.index);
  const hour12 = (h: number) => (ampm ? (h % 12) + ((ampm[1] as string).toUpperCase() === "PM" ? 12 : 0) : h);
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{2,4}) (\d{1,2}):(\d{2})(?::(\d{2}))?/.exec(text);
  if (m)
    return utc(
      twoDigitYear(Number(m[3])),
      Number(m[1]),
      Number(m[2]),
      hour12(Number(m[4])),
      Number(m[5]),
      Number(m[6] ?? 0),
    );
  m = /^(\d{1,2})[.-](\d{1,2})[.-](\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?/.exec(text);
  if (m) return utc(Number(m[3]), Number(m[2]), Number(m[1]), hour12(Number(m[4])), Number(m[5]), Number(m[6] ?? 0));
  return undefined;
}

function utc(y: number, mo: number, d: number, h: number, mi: number, s: number): number | undefined {
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  return back.getUTCMonth() === mo - 1 && back.getUTCDate() === d && h < 24 && mi < 60 && s < 60 ? ms : undefined;
}

/** "h:mm:ss" or "hh:mm:ss" -> ms. */
export function durationMs(cell: string | undefined): number | undefined {
  const m = /^(\d+):(\d{2}):(\d{2})$/.exec(cell?.trim() ?? "");
  return m ? (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000 : undefined;
}

/** Legacy `Raw-Values`: "AMOUNT=5.4, CONCENTRATION=null, ..." -> map ("null" dropped). */
export function rawValues(cell: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (cell ?? "").split(/,\s*/)) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const value = part.slice(eq + 1).trim();
    if (value !== "null") out.set(part.slice(0, eq).trim(), value);
  }
  return out;
}

/** "MiniMed 780G MMT-1886" -> "1886", "Paradigm Revel - 723" -> "723". */
export function modelNumber(device: string): string {
  const m = /(\d{3,4})\s*$/.exec(device.trim());
  return m ? (m[1] as string) : device.trim().replace(/\s+/g, "");
}
