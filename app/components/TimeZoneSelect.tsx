// The time zone a device's clock was set to: exports carry local times without an offset, so the
// importer needs it. Defaults to this browser's zone.
import { useMemo } from "preact/hooks";
import { localTimeZone } from "../format.js";

let known: string[] | undefined;

/** Every zone the browser knows (some 400), listed once per page load. */
function zones(): string[] {
  if (known) return known;
  const all =
    (Intl as unknown as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.("timeZone") ?? [];
  const here = localTimeZone();
  return (known = all.includes(here) ? all : [here, ...all]);
}

export function TimeZoneSelect({
  id,
  value,
  onChange,
}: {
  id: string;
  value: string;
  onChange: (zone: string) => void;
}) {
  // The same option nodes every render, so a screen re-rendering often (an import's progress) skips them.
  const options = useMemo(
    () =>
      zones().map((zone) => (
        <option key={zone} value={zone}>
          {zone.replace(/_/g, " ")}
        </option>
      )),
    [],
  );
  return (
    <select id={id} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
      {options}
    </select>
  );
}
