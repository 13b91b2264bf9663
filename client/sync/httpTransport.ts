// The SyncTransport over the worker's /v1 API: binary upload and pull, and a WebSocket for live
// pages (the browser cannot set headers on a WebSocket, so the session token rides in the query).
import { z } from "zod";
import { MAX_PULL_BYTES, MAX_PULL_ENVELOPES, pushResponse } from "../../shared/api.js";
import { decodePage, encodeUpload, type Extra, type Page } from "../../shared/syncFrames.js";
import { MalformedInput, ServerUnreachable } from "../../shared/errors.js";
import type { ServerApi } from "../api/serverApi.js";
import type { LiveConnection, LiveHandlers, SyncTransport } from "./transport.js";

const endedNotice = z.object({ type: z.literal("ended"), code: z.number().int(), reason: z.string() });

export interface HttpTransportOptions {
  /** The WebSocket class to use (a test's proxy, or `ws` in Node versions without one). */
  readonly WebSocket?: typeof WebSocket;
  /** A grantee's view reads under its own grant only (the server then says when that grant ended). */
  readonly grantId?: string;
}

export class HttpTransport implements SyncTransport {
  constructor(
    private readonly api: ServerApi,
    private readonly options: HttpTransportOptions = {},
  ) {}

  async push(patient: string, objects: readonly Uint8Array[], extras: readonly Extra[] = []): Promise<number[]> {
    return (
      await this.api.json(pushResponse, "POST", `/v1/patients/${patient}/envelopes`, {
        body: encodeUpload(objects, extras),
        auth: true,
      })
    ).seqs;
  }

  async pull(patient: string, after: number): Promise<Page> {
    const query = {
      after: String(after),
      limit: String(MAX_PULL_ENVELOPES),
      maxBytes: String(MAX_PULL_BYTES),
      ...(this.options.grantId ? { grant: this.options.grantId } : {}),
    };
    const response = await this.api.request("GET", `/v1/patients/${patient}/envelopes`, { auth: true, query });
    return decodePage(new Uint8Array(await response.arrayBuffer()));
  }

  async live(patient: string, _after: number, handlers: LiveHandlers): Promise<LiveConnection> {
    const { token } = await this.api.ensureSession();
    const url = new URL(`/v1/patients/${patient}/ws`, this.api.baseUrl);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("token", token);
    if (this.options.grantId) url.searchParams.set("grant", this.options.grantId);
    const socket = new (this.options.WebSocket ?? WebSocket)(url);
    socket.binaryType = "arraybuffer";
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener(
        "error",
        () => reject(new ServerUnreachable(`cannot open the live connection to ${url.origin}`)),
        { once: true },
      );
    });
    let closed = false;
    const close = (code: number, reason: string) => {
      if (closed) return;
      closed = true;
      handlers.onClose(code, reason);
    };
    socket.addEventListener("message", (event) => {
      if (typeof event.data === "string") {
        // The server's notice that the grant behind this socket ended; the close frame follows.
        let notice: ReturnType<typeof endedNotice.safeParse>;
        try {
          notice = endedNotice.safeParse(JSON.parse(event.data));
        } catch {
          return;
        }
        if (notice.success) close(notice.data.code, notice.data.reason);
        return;
      }
      if (!(event.data instanceof ArrayBuffer)) return;
      let page: Page;
      try {
        page = decodePage(new Uint8Array(event.data));
      } catch (error) {
        close(1002, error instanceof MalformedInput ? error.message : "malformed live message");
        socket.close(1002, "malformed live message");
        return;
      }
      handlers.onPage(page);
    });
    socket.addEventListener("close", (event) => close(event.code, event.reason));
    return { close: () => socket.close(1000, "client closed") };
  }
}
