// Security headers on every response the worker serves, the web app's files included
// (wrangler.toml sends every request through the worker). The app has no inline script or style
// and talks only to this origin, so the policy can be strict: whoever injects markup cannot run it,
// send data elsewhere, or frame the app.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./env.js";

/** The API is this origin: HTTP to itself, and its WebSocket on the same host. */
function apiOrigins(c: Context): string {
  const url = new URL(c.req.url);
  return `'self' ${url.protocol === "https:" ? "wss:" : "ws:"}//${url.host}`;
}

const headers = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    // libsodium compiles its WebAssembly in the page; 'wasm-unsafe-eval' allows that and no eval.
    scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", "data:", "blob:"],
    fontSrc: ["'self'"],
    connectSrc: [apiOrigins],
    manifestSrc: ["'self'"],
    workerSrc: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
  },
  xFrameOptions: "DENY",
  referrerPolicy: "no-referrer",
  strictTransportSecurity: "max-age=63072000; includeSubDomains",
  permissionsPolicy: {
    accelerometer: [],
    autoplay: [],
    bluetooth: [],
    browsingTopics: [],
    camera: [],
    displayCapture: [],
    geolocation: [],
    gyroscope: [],
    hid: [],
    magnetometer: [],
    microphone: [],
    midi: [],
    payment: [],
    serial: [],
    usb: [],
  },
});

/** A WebSocket upgrade's 101 carries the socket and no document: it is passed through untouched. */
export const securityHeaders = createMiddleware<AppEnv>((c, next) =>
  c.req.header("upgrade")?.toLowerCase() === "websocket" ? next() : headers(c, next),
);
