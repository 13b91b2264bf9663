// Tells the person a new build of the app is ready, with its version and hash beside the running
// one, and switches only when they say so: a changed app never slips in unseen.
import { useEffect, useState } from "preact/hooks";
import { onUpdate, type PendingUpdate } from "../appUpdate.js";

export function shortHash(hash: string): string {
  return `${hash.slice(0, 8)}…${hash.slice(-8)}`;
}

export function UpdateBanner() {
  const [update, setUpdate] = useState<PendingUpdate | undefined>(undefined);
  const [later, setLater] = useState(false);
  useEffect(() => onUpdate(setUpdate), []);
  if (!update || later) return null;
  const { running, next } = update;
  return (
    <div class="banner update" role="alert" aria-live="assertive">
      <p>
        <strong>A new version of Steward is ready: {next.version}</strong>, build{" "}
        <code title={next.hash}>{shortHash(next.hash)}</code>. You are using{" "}
        {running ? (
          <>
            {running.version}, build <code title={running.hash}>{shortHash(running.hash)}</code>
          </>
        ) : (
          "an earlier build"
        )}
        . It changes nothing until you update; compare the build with the one published for {next.version} (About) first
        if you like.
      </p>
      <button type="button" onClick={() => update.accept()}>
        Update to {next.version}
      </button>{" "}
      <button type="button" onClick={() => setLater(true)}>
        Later
      </button>
    </div>
  );
}
