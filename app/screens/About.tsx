// About: which build of the app runs on this device (release and build hash) and how anyone can
// check that it is the published one, by rebuilding the release from its source.
import { runningBuild } from "../appUpdate.js";
import { ErrorText } from "../components/ErrorText.js";
import { useLoad } from "../components/useAsync.js";

declare const APP_VERSION: string;

export function About() {
  const { value: build, error } = useLoad(runningBuild, []);
  return (
    <section class="about">
      <h1>About Steward</h1>
      <p>
        Steward keeps your diabetes data encrypted on your devices; the server stores and relays only ciphertext. The
        code that encrypts it is this app, so you can check which build you run.
      </p>
      <dl>
        <dt>Version</dt>
        <dd data-testid="app-version">{APP_VERSION}</dd>
        <dt>Build hash (SHA-256)</dt>
        <dd>
          <code data-testid="build-hash">{build?.hash ?? "…"}</code>
        </dd>
      </dl>
      <ErrorText error={error} />
      <h2>Checking it</h2>
      <p>
        The project's README publishes the build hash of every release. Anyone can rebuild a release from its source
        (check out the release's commit, <code>npm ci</code>, <code>npm run build</code>) and get the same hash. This
        device keeps the build you accepted and runs it even offline; when a new build appears you are asked first, with
        its version and hash.
      </p>
      <p>
        <a href="#/">Back</a>
      </p>
    </section>
  );
}
