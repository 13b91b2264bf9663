// Streaming CSV tokenizer (RFC 4180 quoting, CRLF or LF, UTF-8 BOM). Hand-written rather than papaparse
// because the importers need each record's source line number (for the skipped-rows report) and the
// delimiter chosen per file from its first line (CareLink writes ";" or "," by locale).
import { textChunks } from "./textChunks.js";
import type { ImportInput } from "./types.js";

export interface CsvRow {
  /** 1-based line where the record starts. */
  line: number;
  fields: string[];
  /** Bytes of input consumed when this row was emitted (chunk granularity). */
  bytesDone: number;
}

/** Yields every record, blank lines included (as `[""]`), so callers can account for each line. */
export async function* csvRows(input: ImportInput, delimiter?: "," | ";"): AsyncGenerator<CsvRow> {
  let delim = delimiter;
  let field = "";
  let fields: string[] = [];
  let inQuotes = false;
  let quoteSeen = false; // a closing quote was just read inside a quoted field
  let line = 1;
  let rowLine = 1;
  let started = false;
  let pending = ""; // text held back until the delimiter can be sniffed from the first line
  let lastBytes = 0;

  for await (const { text, bytesDone } of textChunks(input)) {
    lastBytes = bytesDone;
    let chunk = text;
    if (!started) {
      pending += chunk;
      if (delim === undefined && !pending.includes("\n")) continue;
      if (pending.charCodeAt(0) === 0xfeff) pending = pending.slice(1);
      delim ??= sniff(pending);
      chunk = pending;
      pending = "";
      started = true;
    }
    const out: CsvRow[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i] as string;
      if (inQuotes) {
        if (quoteSeen) {
          quoteSeen = false;
          if (c === '"') {
            field += '"';
            continue;
          }
          inQuotes = false;
          // fall through: c is handled as an unquoted character
        } else if (c === '"') {
          quoteSeen = true;
          continue;
        } else {
          if (c === "\n") line++;
          field += c;
          continue;
        }
      }
      if (c === '"' && field === "") inQuotes = true;
      else if (c === delim) {
        fields.push(field);
        field = "";
      } else if (c === "\n") {
        fields.push(field);
        out.push({ line: rowLine, fields, bytesDone });
        fields = [];
        field = "";
        line++;
        rowLine = line;
      } else if (c !== "\r") field += c;
    }
    yield* out;
  }
  if (!started && pending) {
    // A file without any newline: tokenize it whole.
    yield* csvRows(pending.endsWith("\n") ? pending : `${pending}\n`, delim ?? sniff(pending));
    return;
  }
  if (field !== "" || fields.length > 0 || quoteSeen) {
    fields.push(field);
    yield { line: rowLine, fields, bytesDone: lastBytes };
  }
}

function sniff(text: string): "," | ";" {
  const first = text.slice(0, text.indexOf("\n") >>> 0);
  const count = (ch: string) => first.split(ch).length - 1;
  return count(";") > count(",") ? ";" : ",";
}
