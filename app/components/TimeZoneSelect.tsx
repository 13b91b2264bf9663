// The time zone a device's clock was set to: exports carry local times without an offset, so the
// importer needs it. Defaults to this browser's zone.
import { localTimeZone } from "../format.js";

function zones(): string[] {
  const all = (Intl as unknown as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.("timeZone") ?? [];
  const here = localTimeZone();
  return all.includes(here) ? all : [here, ...all];
}

export function TimeZoneSelect({ id, value, onChange }: { id: string; value: string; onChange: (zone: string) => void }) {
  return (
    <select id={id} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
      {zones().map((zone) => (
        <option key={zone} value={zone}>
          {zone.replace(/_/g, " ")}
        </option>
      ))}
    </select>
  );
}
