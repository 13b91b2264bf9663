// Keeps the app shell (page, bundle, styles) of one build and serves it, so the app starts with no
// network and runs only code the person accepted. Installing checks every file against the SHA-256
// this worker was built with (app/build.ts); a server that changes a file without shipping a new
// build is not believed, and a new build waits until the page has told the person its version and
// hash and they chose to update (app/appUpdate.ts). The API is never cached: /v1 and /health
// always go to the network, and the data itself lives encrypted in IndexedDB, not here.
declare const BUILD: {
  readonly version: string;
  readonly hash: string;
  readonly files: Readonly<Record<string, string>>;
};

const sw = self as unknown as ServiceWorkerGlobalScope;
const CACHE = `steward-shell-${BUILD.hash}`;
const PAGE = "index.html";

/** Where a shell file lives; the page is served at the scope's root (the asset server redirects index.html there). */
function urlOf(name: string): string {
  return new URL(name === PAGE ? "./" : name, sw.registration.scope).href;
}

async function sha256(response: Response): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await response.clone().arrayBuffer()));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

sw.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      for (const [name, expected] of Object.entries(BUILD.files)) {
        const response = await fetch(urlOf(name), { cache: "no-store" });
        if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
        // A mismatch fails the install: the build already running stays, and nothing unverified runs.
        if ((await sha256(response)) !== expected) throw new Error(`${name} is not the file of build ${BUILD.hash}`);
        await cache.put(urlOf(name), response);
      }
    })(),
  );
});

sw.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys.filter((key) => key.startsWith("steward-shell-") && key !== CACHE).map((key) => caches.delete(key)),
        ),
      )
      .then(() => sw.clients.claim()),
  );
});

sw.addEventListener("message", (event) => {
  const message = event.data as { type?: string } | null;
  // The page asks which build this is (About, the update notice), and says when the person accepted it.
  if (message?.type === "build") event.ports[0]?.postMessage(BUILD);
  if (message?.type === "activate") void sw.skipWaiting();
});

function shellFile(url: URL): string | undefined {
  const scope = new URL(sw.registration.scope);
  const name = url.pathname.startsWith(scope.pathname) ? url.pathname.slice(scope.pathname.length) : undefined;
  return name !== undefined && name in BUILD.files ? name : undefined;
}

sw.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (
    event.request.method !== "GET" ||
    url.origin !== sw.location.origin ||
    url.pathname.startsWith("/v1/") ||
    url.pathname === "/health"
  )
    return;
  // Navigations (any path, any hash) get the one page; the shell's files come from this build.
  const name = event.request.mode === "navigate" ? PAGE : shellFile(url);
  if (!name) return;
  event.respondWith(
    caches
      .open(CACHE)
      .then((cache) => cache.match(urlOf(name)))
      .then((cached) => cached ?? fetch(event.request)),
  );
});
