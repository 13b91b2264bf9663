// An error as a person can act on it: the typed errors already carry such messages.
export function ErrorText({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p class="error-text" role="alert">
      {message}
    </p>
  );
}
