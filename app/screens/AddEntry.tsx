// Manual entry of a meal, exercise or a note, by the patient or by someone with a write grant
// (a parent logging carbs). Saved on this device at once, online or not.
import { useState } from "preact/hooks";
import type { StewardRecord } from "../../client/index.js";
import { ErrorText } from "../components/ErrorText.js";
import { useAction } from "../components/useAsync.js";
import { save, type Writable } from "../save.js";

type Kind = "meal" | "exercise" | "note";

/** "YYYY-MM-DDTHH:mm" in local time, for a datetime-local input. */
function localInputValue(time: number): string {
  const d = new Date(time - new Date(time).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function optionalNumber(value: string): number | undefined {
  return value.trim() === "" ? undefined : Number(value);
}

export function AddEntry({ target, heading = "Add an entry" }: { target: Writable; heading?: string }) {
  const [kind, setKind] = useState<Kind>("meal");
  const [when, setWhen] = useState(() => localInputValue(Date.now()));
  const [name, setName] = useState("");
  const [carbs, setCarbs] = useState("");
  const [meal, setMeal] = useState("other");
  const [minutes, setMinutes] = useState("");
  const [intensity, setIntensity] = useState("medium");
  const [text, setText] = useState("");
  const [saved, setSaved] = useState<string | undefined>(undefined);

  const build = (): StewardRecord => {
    const time = new Date(when).getTime();
    const base = {
      id: `manual:${crypto.randomUUID()}`,
      time,
      timezoneOffset: -new Date(time).getTimezoneOffset(),
      source: "manual" as const,
    };
    if (kind === "meal")
      return {
        ...base,
        type: "food",
        body: { ...(name ? { name } : {}), ...(carbs ? { carbsG: optionalNumber(carbs) } : {}), meal: meal as "other" },
      };
    if (kind === "exercise")
      return {
        ...base,
        type: "activity",
        body: {
          ...(name ? { activityType: name } : {}),
          ...(minutes ? { durationMin: optionalNumber(minutes) } : {}),
          intensity: intensity as "medium",
        },
      };
    return { ...base, type: "note", body: { text } };
  };
  const submit = useAction(async () => {
    await save(target, [build()]);
    setSaved(kind === "meal" ? "Meal saved" : kind === "exercise" ? "Exercise saved" : "Note saved");
    setName("");
    setCarbs("");
    setMinutes("");
    setText("");
  });

  return (
    <>
      <h1>{heading}</h1>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          setSaved(undefined);
          void submit.run();
        }}
      >
        <fieldset>
          <legend>What happened</legend>
          {(["meal", "exercise", "note"] as const).map((k) => (
            <label key={k}>
              <input type="radio" name="kind" value={k} checked={kind === k} onChange={() => setKind(k)} />{" "}
              {k === "meal" ? "Meal" : k === "exercise" ? "Exercise" : "Note"}
            </label>
          ))}
        </fieldset>
        <label for="entry-time">When</label>
        <input
          id="entry-time"
          type="datetime-local"
          required
          value={when}
          onInput={(e) => setWhen((e.target as HTMLInputElement).value)}
        />
        {kind === "meal" && (
          <>
            <label for="meal-name">What you ate</label>
            <input
              id="meal-name"
              type="text"
              maxLength={500}
              value={name}
              onInput={(e) => setName((e.target as HTMLInputElement).value)}
            />
            <label for="meal-carbs">Carbohydrates (g)</label>
            <input
              id="meal-carbs"
              type="number"
              min={0}
              max={1000}
              step="any"
              inputMode="decimal"
              value={carbs}
              onInput={(e) => setCarbs((e.target as HTMLInputElement).value)}
            />
            <label for="meal-kind">Meal</label>
            <select id="meal-kind" value={meal} onChange={(e) => setMeal((e.target as HTMLSelectElement).value)}>
              {["breakfast", "lunch", "dinner", "snack", "other"].map((m) => (
                <option key={m} value={m}>
                  {m[0]!.toUpperCase() + m.slice(1)}
                </option>
              ))}
            </select>
          </>
        )}
        {kind === "exercise" && (
          <>
            <label for="exercise-type">Activity</label>
            <input
              id="exercise-type"
              type="text"
              maxLength={100}
              value={name}
              onInput={(e) => setName((e.target as HTMLInputElement).value)}
            />
            <label for="exercise-minutes">Duration (minutes)</label>
            <input
              id="exercise-minutes"
              type="number"
              min={0}
              max={10080}
              inputMode="numeric"
              value={minutes}
              onInput={(e) => setMinutes((e.target as HTMLInputElement).value)}
            />
            <label for="exercise-intensity">Intensity</label>
            <select
              id="exercise-intensity"
              value={intensity}
              onChange={(e) => setIntensity((e.target as HTMLSelectElement).value)}
            >
              <option value="low">Low</option>
              <option value="medium">Medium</option>
              <option value="high">High</option>
            </select>
          </>
        )}
        {kind === "note" && (
          <>
            <label for="note-text">Note</label>
            <textarea
              id="note-text"
              rows={4}
              maxLength={20000}
              required
              value={text}
              onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
            />
          </>
        )}
        <ErrorText error={submit.error} />
        {saved && (
          <p class="ok-text" role="status">
            {saved} on this device{navigator.onLine ? "." : "; it will sync when you are back online."}
          </p>
        )}
        <div class="actions">
          <button type="submit" disabled={submit.busy}>
            Save
          </button>
        </div>
      </form>
    </>
  );
}
