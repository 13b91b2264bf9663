// The glucose unit this person reads, changeable wherever glucose is shown.
import { GLUCOSE_UNITS, type GlucoseUnit, setGlucoseUnit } from "../units.js";

export function UnitSelect({ unit }: { unit: GlucoseUnit }) {
  return (
    <label class="inline">
      Units{" "}
      <select value={unit} onChange={(e) => setGlucoseUnit((e.target as HTMLSelectElement).value as GlucoseUnit)}>
        {GLUCOSE_UNITS.map((u) => (
          <option key={u} value={u}>
            {u}
          </option>
        ))}
      </select>
    </label>
  );
}
