// Format detection from the first bytes of a file, whatever its name.
import { describe, expect, it } from "vitest";
import { detectFormat } from "../../../client/import/detect.js";
import { MalformedInput } from "../../../shared/errors.js";

describe("detectFormat", () => {
  it.each([
    ["Nightscout entries array", '[{"type":"sgv","sgv":120,"date":1}]', "nightscout"],
    ["Nightscout with a BOM and whitespace", "\uFEFF\n  [ ]", "nightscout"],
    ["a single JSON object (left to the Nightscout importer to explain)", '{"sgv":1}', "nightscout"],
    [
      "legacy CareLink",
      "Data Range,10/5/13 00:00:00,to,3/9/14\nIndex,Date,Time,Timestamp,New Device Time,Raw-Type,Raw-Values\n",
      "carelink-legacy",
    ],
    ["current CareLink with its preamble", "\uFEFFLast Name,First Name,Patient ID\n", "carelink-current"],
    [
      "current CareLink section line first (EU, semicolons)",
      "-------;MiniMed 780G MMT-1886;Sensor;NG0000000X;-------\nIndex;Date;Time;Sensor Glucose (mg/dL)\n",
      "carelink-current",
    ],
    [
      "current CareLink header only",
      "Index,Date,Time,New Device Time,BG Reading (mg/dL),Basal Rate (U/h)\n",
      "carelink-current",
    ],
    [
      "Clarity in mmol/L",
      "Index,Timestamp (YYYY-MM-DDThh:mm:ss),Event Type,Event Subtype,Glucose Value (mmol/L)\n",
      "clarity",
    ],
  ])("%s", (_name, head, format) => {
    expect(detectFormat(head)).toBe(format);
  });

  it.each([
    ["prose", "Dear diary\n"],
    ["another CSV", "Index,Date,Time,Steps\n1,2026/01/01,10:00,200\n"],
    ["an empty file", ""],
  ])("refuses %s, naming the file", (_name, head) => {
    expect(() => detectFormat(head, "upload.csv")).toThrow(MalformedInput);
    expect(() => detectFormat(head, "upload.csv")).toThrow(/upload\.csv/);
  });
});
