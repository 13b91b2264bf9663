// Debian's Chromium driven by playwright-core against the real worker, with every request,
// response body and WebSocket frame of every context recorded so a test can prove that no
// plaintext health data crossed the network.
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import { startWorker, type LocalWorker } from "../e2e/localWorker.js";

export const CHROMIUM = "/usr/bin/chromium";
export const chromiumMissing = !existsSync(CHROMIUM);
if (chromiumMissing) console.warn(`skipping the browser suite: ${CHROMIUM} is absent (apt-get install -y chromium)`);

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Playwright gives every launch a fresh temporary profile (user-data-dir) and deletes it on close. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

/**
 * The real worker and one Chromium for a suite: started before its own hooks and tests (call it
 * first in the describe block), stopped after them. Read `worker` and `browser` inside hooks and tests.
 */
export function workerAndBrowser(): { readonly worker: LocalWorker; readonly browser: Browser } {
  const env = {} as { worker: LocalWorker; browser: Browser };
  beforeAll(async () => {
    [env.worker, env.browser] = await Promise.all([startWorker(), launchChromium()]);
  });
  afterAll(async () => {
    await env.browser?.close();
    await env.worker?.stop();
  });
  return env;
}

export const SCREENSHOTS = fileURLToPath(new URL("../../test-results/app/", import.meta.url));

/** The two sizes every screen is looked at: a phone and a clinic PC. */
export const SIZES = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } } as const;

/** Saves `<name>-phone.png` (390×844) and `<name>-desktop.png` (1280×800), whole page, then restores the page's size. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const original = page.viewportSize();
  // Charts redraw at a new width on the next frames.
  const settle = () =>
    page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  for (const [size, viewport] of Object.entries(SIZES)) {
    await page.setViewportSize(viewport);
    await settle();
    await page.screenshot({ path: `${SCREENSHOTS}${name}-${size}.png`, fullPage: true });
  }
  if (original) {
    await page.setViewportSize(original);
    await settle();
  }
}

export interface Captured {
  readonly what: string;
  readonly bytes: Buffer;
}

/** Everything one context sent or received over the network: URLs, bodies and frames. */
export class NetworkLog {
  readonly items: Captured[] = [];
  private readonly reading: Promise<void>[] = [];

  constructor(context: BrowserContext) {
    context.on("request", (request) => {
      this.add(`request ${request.method()} ${request.url()}`, request.url());
      const body = request.postDataBuffer();
      if (body) this.add(`body of ${request.method()} ${request.url()}`, body);
      this.add(`headers of ${request.url()}`, JSON.stringify(request.headers()));
    });
    context.on("response", (response) => {
      if (!new URL(response.url()).pathname.startsWith("/v1/")) return;
      this.reading.push(
        response
          .body()
          .then((body) => this.add(`response ${response.url()}`, body))
          .catch(() => undefined),
      );
    });
  }

  watchSockets(page: Page): void {
    page.on("websocket", (socket) => {
      this.add(`websocket ${socket.url()}`, socket.url());
      socket.on("framesent", (frame) => this.add(`frame sent on ${socket.url()}`, frame.payload));
      socket.on("framereceived", (frame) => this.add(`frame received on ${socket.url()}`, frame.payload));
    });
  }

  private add(what: string, payload: string | Buffer): void {
    this.items.push({ what, bytes: typeof payload === "string" ? Buffer.from(payload, "utf8") : payload });
  }

  /** Waits for response bodies still being read. */
  async settle(): Promise<void> {
    await Promise.all(this.reading);
  }

  get frames(): number {
    return this.items.filter((i) => i.what.startsWith("frame")).length;
  }
}

/** The forms a secret could take on the wire: raw bytes, UTF-16, base64 at every alignment, hex, URL- and JSON-escaped. */
export function encodings(secret: string | Uint8Array): Buffer[] {
  const text = typeof secret === "string";
  const raw = Buffer.from(secret as Uint8Array);
  const bytes = text ? Buffer.from(secret, "utf8") : raw;
  const forms = [bytes, Buffer.from(bytes.toString("hex")), Buffer.from(bytes.toString("hex").toUpperCase())];
  if (text)
    forms.push(
      Buffer.from(secret, "utf16le"),
      Buffer.from(encodeURIComponent(secret)),
      Buffer.from(JSON.stringify(secret).slice(1, -1)),
    );
  // base64 of a substring depends on its offset mod 3: encode with 0-2 bytes of padding in front
  // and keep only the characters that depend on the secret alone.
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString("base64");
    const start = Math.ceil((shift * 4) / 3);
    const end = Math.floor(((shift + bytes.length) * 4) / 3);
    const core = encoded.slice(start, end);
    forms.push(Buffer.from(core), Buffer.from(core.replace(/\+/g, "-").replace(/\//g, "_")));
  }
  return forms;
}

/**
 * A record field as a plaintext Yjs update carries it (lib0 encoding: the key as a var-string, then
 * an integer as type 125 and a signed var-int), e.g. `mgdl: 137` inside a stored record.
 */
export function yjsIntegerField(key: string, value: number): Uint8Array {
  const out = [key.length, ...Buffer.from(key, "utf8"), 125];
  let rest = Math.abs(value);
  out.push((rest & 0x3f) | (value < 0 ? 0x40 : 0) | (rest > 0x3f ? 0x80 : 0));
  rest = Math.floor(rest / 64);
  while (rest > 0) {
    out.push((rest & 0x7f) | (rest > 0x7f ? 0x80 : 0));
    rest = Math.floor(rest / 128);
  }
  return Uint8Array.from(out);
}

/** Every captured item containing any secret in any encoding, as "what: secret". */
export function leaks(items: readonly Captured[], secrets: readonly (string | Uint8Array)[]): string[] {
  const found: string[] = [];
  for (const secret of secrets) {
    const forms = encodings(secret);
    for (const item of items)
      if (forms.some((form) => item.bytes.includes(form)))
        found.push(`${item.what}: ${typeof secret === "string" ? secret : Buffer.from(secret).toString("hex")}`);
  }
  return found;
}

export interface Person {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly network: NetworkLog;
}

/** A person with their own browser profile (storage, service worker, IndexedDB), recorded from the start. */
export async function person(browser: Browser, options: { phone?: boolean; timeZone?: string } = {}): Promise<Person> {
  const context = await browser.newContext({
    timezoneId: options.timeZone ?? "Europe/Berlin",
    locale: "en-GB",
    ...(options.phone
      ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }
      : { viewport: { width: 1280, height: 900 } }),
  });
  const network = new NetworkLog(context);
  const page = await context.newPage();
  network.watchSockets(page);
  page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
  return { context, page, network };
}

/** Elements reaching past the right edge of the screen, outside boxes that scroll on their own. */
export async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    return [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > width + 1 && !e.closest(".scroll"))
      .map(
        (e) => `${e.tagName.toLowerCase()}${e.className && typeof e.className === "string" ? `.${e.className}` : ""}`,
      )
      .slice(0, 5);
  });
}
