// An error as a person can act on it; the technical details go to the console.
import { logError, personMessage } from "../errorText.js";

export function ErrorText({ error }: { error: unknown }) {
  if (!error) return null;
  logError(error);
  return (
    <p class="error-text" role="alert">
      {personMessage(error)}
    </p>
  );
}
