// The handle input shared by both sign-up forms: lower-case letters, digits and dashes, as the
// server accepts them; the browser checks the pattern before anything is sent.
export function HandleField({ value, onInput }: { value: string; onInput: (value: string) => void }) {
  return (
    <>
      <label for="handle">Choose a handle</label>
      <input
        id="handle"
        type="text"
        autocomplete="username"
        autocapitalize="none"
        spellcheck={false}
        required
        pattern="[a-z0-9][a-z0-9\-]{2,31}"
        value={value}
        onInput={(e) => onInput((e.target as HTMLInputElement).value.trim().toLowerCase())}
        aria-describedby="handle-hint"
      />
      <p id="handle-hint" class="hint">
        3 to 32 lower-case letters, digits or dashes. It is public so that others can find you; it never appears next to
        your data on the server.
      </p>
    </>
  );
}
