// Keeps the app shell (page, bundle, styles) so the app starts with no network after the first
// visit. The API is never cached: /v1 and /health always go to the network, and the data itself
// lives encrypted in IndexedDB, not here.
declare const SHELL_VERSION: string;
declare const SHELL_FILES: string[];

const sw = self as unknown as ServiceWorkerGlobalScope;
const CACHE = `steward-shell-${SHELL_VERSION}`;

sw.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL_FILES))
      .then(() => sw.skipWaiting()),
  );
});

sw.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith("steward-shell-") && key !== CACHE).map((key) => caches.delete(key))))
      .then(() => sw.clients.claim()),
  );
});

function isApi(url: URL): boolean {
  return url.pathname.startsWith("/v1/") || url.pathname === "/health";
}

sw.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== sw.location.origin || isApi(url)) return;
  // Network first so a new build shows up at once; the cached shell when the network is gone.
  // Navigations (any path, any hash) are answered with the one page.
  const key = event.request.mode === "navigate" ? "./" : event.request;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok && event.request.mode !== "navigate") void caches.open(CACHE).then((cache) => cache.put(event.request, response.clone()));
        return response;
      })
      .catch(async () => (await caches.match(key, { ignoreSearch: true })) ?? Response.error()),
  );
});
