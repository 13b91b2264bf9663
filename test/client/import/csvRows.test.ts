// The CSV tokenizer on its own: quoting, line numbers, delimiter sniffing, and that a file split
// anywhere into chunks (as a browser's stream splits it) yields exactly the rows of the whole file.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { csvRows, type CsvRow } from "../../../client/import/csvRows.js";
import type { ImportInput } from "../../../client/import/types.js";

async function rows(input: ImportInput, delimiter?: "," | ";"): Promise<Omit<CsvRow, "bytesDone">[]> {
  const out: Omit<CsvRow, "bytesDone">[] = [];
  for await (const { line, fields } of csvRows(input, delimiter)) out.push({ line, fields });
  return out;
}

async function* chunked(text: string, cuts: number[]): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    const at = Math.min(cut, bytes.length);
    yield bytes.subarray(from, at);
    from = at;
  }
  yield bytes.subarray(from);
}

function quote(field: string, delimiter: string): string {
  return /["\n\r]/.test(field) || field.includes(delimiter) ? `"${field.replaceAll('"', '""')}"` : field;
}

describe("csvRows", () => {
  it("reads quoted fields with delimiters, doubled quotes and line breaks", async () => {
    const text = 'a,"b,c","say ""hi"""\r\n"two\nlines",x,\n';
    expect(await rows(text)).toEqual([
      { line: 1, fields: ["a", "b,c", 'say "hi"'] },
      { line: 2, fields: ["two\nlines", "x", ""] },
    ]);
  });

  it("numbers each record by the line it starts on and keeps blank lines", async () => {
    expect(await rows('h1,h2\n\n"x\ny",z\nlast,row')).toEqual([
      { line: 1, fields: ["h1", "h2"] },
      { line: 2, fields: [""] },
      { line: 3, fields: ["x\ny", "z"] },
      { line: 5, fields: ["last", "row"] },
    ]);
  });

  it("sniffs ';' from a CareLink first line written in a comma-decimal locale", async () => {
    expect(await rows("Index;Date;Sensor Glucose (mg/dL)\n1;2026/11/02;5,5\n")).toEqual([
      { line: 1, fields: ["Index", "Date", "Sensor Glucose (mg/dL)"] },
      { line: 2, fields: ["1", "2026/11/02", "5,5"] },
    ]);
  });

  it("drops a UTF-8 byte-order mark so the first header matches", async () => {
    const [first] = await rows(new TextEncoder().encode("\uFEFFDate,Glucose\n"));
    expect(first?.fields[0]).toBe("Date");
  });

  it("reads a file with no newline at all, and a quoted last field with none after it", async () => {
    expect(await rows("a;b;c")).toEqual([{ line: 1, fields: ["a", "b", "c"] }]);
    expect(await rows('a,"b"')).toEqual([{ line: 1, fields: ["a", "b"] }]);
  });

  it("counts the bytes consumed so progress reaches the file's size", async () => {
    const text = "é,1\nü,2\n";
    let last = 0;
    for await (const row of csvRows(chunked(text, [1, 5]))) last = row.bytesDone;
    expect(last).toBe(new TextEncoder().encode(text).byteLength);
  });

  it("yields the same rows however the bytes are split into chunks", async () => {
    const field = fc.string({ unit: fc.constantFrom("a", "é", ",", ";", '"', "\n", "\r\n", " ", "1") });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(",", ";") as fc.Arbitrary<"," | ";">,
        fc.array(fc.array(field, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(200), { maxLength: 6 }),
        async (delimiter, table, cuts) => {
          const text = `${table.map((r) => r.map((f) => quote(f, delimiter)).join(delimiter)).join("\n")}\n`;
          const whole = await rows(text, delimiter);
          expect(whole.map((r) => r.fields)).toEqual(table);
          expect(await rows(chunked(text, cuts), delimiter)).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });
});
