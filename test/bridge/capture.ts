// Everything a set of clients exchanges with the Steward server, as the server sees it: every
// request and response body of their fetches and every WebSocket message both ways, decoded
// (no compression hides anything), so a test can show that no plaintext reached the server.
import type { Captured } from "../app/browser.js";

export interface Capture {
  readonly fetch: typeof fetch;
  readonly WebSocket: typeof WebSocket;
  /** Waits for bodies still being read, then returns what was captured. */
  captured(): Promise<Captured[]>;
}

async function bytesOf(data: unknown): Promise<Buffer> {
  if (data === undefined || data === null) return Buffer.alloc(0);
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (data instanceof Blob) return Buffer.from(await data.arrayBuffer());
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof URLSearchParams) return Buffer.from(data.toString());
  return Buffer.from(String(data));
}

export function capture(): Capture {
  const items: Captured[] = [];
  const reading: Promise<unknown>[] = [];
  const add = (what: string, data: unknown) =>
    reading.push(
      Promise.resolve(data)
        .then(bytesOf)
        .then((bytes) => items.push({ what, bytes })),
    );

  const recordingFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    add(`${request.method} ${request.url}`, request.clone().arrayBuffer());
    const response = await fetch(request);
    add(`response to ${request.method} ${request.url}`, response.clone().arrayBuffer());
    return response;
  };

  class RecordingWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      add(`socket ${String(url)}`, String(url));
      this.addEventListener("message", (event) => add(`frame from ${String(url)}`, event.data));
    }

    override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      add(`frame to ${this.url}`, data);
      super.send(data);
    }
  }

  return {
    fetch: recordingFetch,
    WebSocket: RecordingWebSocket,
    async captured() {
      while (reading.length > 0) await Promise.all(reading.splice(0));
      return items;
    },
  };
}
