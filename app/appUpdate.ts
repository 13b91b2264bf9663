// The page's side of the service worker (app/serviceWorker.ts): registers it, asks which build is
// running, and notices a new build waiting so the app can tell the person its version and hash
// before anything changes. Nothing new runs until they accept.
export interface BuildInfo {
  readonly version: string;
  readonly hash: string;
  readonly files: Readonly<Record<string, string>>;
}

export interface PendingUpdate {
  readonly running: BuildInfo | undefined;
  readonly next: BuildInfo;
  /** Switches to the new build and reloads the page with it. */
  accept(): void;
}

/** How often an open app asks the server whether a new build exists. */
const CHECK_MS = 30 * 60_000;

const listeners = new Set<(update: PendingUpdate | undefined) => void>();
let pending: PendingUpdate | undefined;

function announce(update: PendingUpdate | undefined): void {
  pending = update;
  for (const listener of listeners) listener(update);
}

/** Calls `listener` with the waiting update now and whenever one appears; returns the unsubscribe. */
export function onUpdate(listener: (update: PendingUpdate | undefined) => void): () => void {
  listeners.add(listener);
  listener(pending);
  return () => listeners.delete(listener);
}

/** Asks a service worker which build it holds. */
function buildOf(worker: ServiceWorker): Promise<BuildInfo> {
  return new Promise((resolve, reject) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(event.data as BuildInfo);
    setTimeout(() => reject(new Error("the service worker did not say which build it holds")), 5_000);
    worker.postMessage({ type: "build" }, [channel.port2]);
  });
}

/** The build this page runs: the controlling worker's, or (first visit, no worker yet) the server's. */
export async function runningBuild(): Promise<BuildInfo> {
  const controller = "serviceWorker" in navigator ? navigator.serviceWorker.controller : null;
  if (controller) return buildOf(controller);
  const response = await fetch("build.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`build.json: HTTP ${response.status}`);
  return (await response.json()) as BuildInfo;
}

async function offer(registration: ServiceWorkerRegistration, worker: ServiceWorker): Promise<void> {
  // Nothing runs yet (a first visit): the worker activates by itself and there is nothing to replace.
  if (!navigator.serviceWorker.controller) return;
  const [next, running] = await Promise.all([buildOf(worker), runningBuild().catch(() => undefined)]);
  announce({
    running,
    next,
    accept() {
      navigator.serviceWorker.addEventListener("controllerchange", () => location.reload(), { once: true });
      (registration.waiting ?? worker).postMessage({ type: "activate" });
    },
  });
}

function watch(registration: ServiceWorkerRegistration): void {
  if (registration.waiting) void offer(registration, registration.waiting);
  registration.addEventListener("updatefound", () => {
    const installing = registration.installing;
    installing?.addEventListener("statechange", () => {
      if (installing.state === "installed") void offer(registration, installing);
    });
  });
}

/** Registers the worker for offline start-up; a failure is only logged (the app works without it). */
export function registerAppShell(): void {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker
    .register("sw.js", { updateViaCache: "none" })
    .then((registration) => {
      watch(registration);
      const check = () => void registration.update().catch(() => undefined);
      setInterval(check, CHECK_MS);
      addEventListener("online", check);
    })
    .catch((error: unknown) => console.warn("service worker not registered:", error));
}
