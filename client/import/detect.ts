// Which export a file is, from its first bytes: people pick files by name, and names lie ("export.csv").
import { MalformedInput } from "../../shared/errors.js";

export type ImportFormat = "carelink-legacy" | "carelink-current" | "clarity" | "nightscout";

/** How much of the start of a file detection needs: CareLink preambles are a few lines, headers ~1 KiB. */
export const DETECT_BYTES = 64 * 1024;

/** The format of a file whose text starts with `head`; MalformedInput when it is none Steward reads. */
export function detectFormat(head: string, fileName = "this file"): ImportFormat {
  const text = head.replace(/^\uFEFF/, "").trimStart();
  if (text.startsWith("[") || text.startsWith("{")) return "nightscout";
  const lines = text.split(/\r?\n/, 200).map((l) => l.replace(/"/g, "").trim());
  const header = lines.find((l) => /^Index[,;]/.test(l)) ?? "";
  if (header.includes("Raw-Type")) return "carelink-legacy";
  if (header.includes("Event Type") && /Timestamp \(YYYY-MM-DDThh:mm:ss\)/.test(header)) return "clarity";
  if (
    lines[0]?.startsWith("Last Name") ||
    lines.some((l) => l.startsWith("-------")) ||
    (/[,;]Date[,;]Time[,;]/.test(header) && /Sensor Glucose|Basal Rate|Bolus/.test(header))
  ) {
    return "carelink-current";
  }
  throw new MalformedInput(
    `${fileName} is not an export Steward can import. Choose a Medtronic CareLink CSV, a Dexcom Clarity CSV, or a Nightscout entries or treatments JSON file`,
  );
}
