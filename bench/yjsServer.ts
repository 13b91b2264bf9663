// The unencrypted peer: y-websocket's own server (in memory, as `npx y-websocket` runs it) on
// loopback, and its client with the `ws` package as the WebSocket. Records sit in one Y.Map per
// scope keyed by record id, the plain layout an app on y-websocket would use.
import { createServer } from "node:http";
import { setupWSConnection, docs } from "@y/websocket-server/utils";
import WebSocket, { WebSocketServer } from "ws";
import { WebsocketProvider } from "y-websocket";
import type * as Y from "yjs";
import { SCOPE_OF, type Scope, type StewardRecord } from "../shared/records.js";

export interface YjsServer {
  /** http://127.0.0.1:port; the client relay-counts bytes against this. */
  readonly url: string;
  /** The server's copy of a room, once a client opened it. */
  doc(room: string): Y.Doc | undefined;
  stop(): Promise<void>;
}

export async function startYjsServer(): Promise<YjsServer> {
  const http = createServer((_request, response) =>
    response.writeHead(200, { "content-type": "text/plain" }).end("okay"),
  );
  const wss = new WebSocketServer({ noServer: true });
  wss.on("connection", setupWSConnection);
  http.on("upgrade", (request, socket, head) =>
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request)),
  );
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const address = http.address();
  if (!address || typeof address !== "object") throw new Error("the y-websocket server has no address");
  return {
    url: `http://127.0.0.1:${address.port}`,
    doc: (room) => docs.get(room),
    async stop() {
      for (const client of wss.clients) client.terminate();
      // Without persistence the server never destroys a room's document, whose awareness timer would keep Node alive.
      for (const doc of docs.values()) doc.destroy();
      docs.clear();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** Counts the sync-step-1 requests a client sends (y-protocols: message type 0, step 0). */
export interface SyncRequests {
  count: number;
}

/**
 * A provider for `room` at `server` (http URL), without the cross-tab channel that would bypass the
 * network. Destroy the document when done: that also stops its awareness timer.
 */
export function connectYjs(
  server: string,
  room: string,
  doc: Y.Doc,
  requests: SyncRequests = { count: 0 },
  connect = true,
): WebsocketProvider {
  class CountingWebSocket extends WebSocket {
    override send(data: unknown, ...rest: unknown[]): void {
      if (data instanceof Uint8Array && data[0] === 0 && data[1] === 0) requests.count++;
      (super.send as (...args: unknown[]) => void)(data, ...rest);
    }
  }
  const url = server.replace(/^http/, "ws");
  return new WebsocketProvider(url, room, doc, {
    WebSocketPolyfill: CountingWebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    connect,
  });
}

export function synced(provider: WebsocketProvider): Promise<void> {
  if (provider.synced) return Promise.resolve();
  return new Promise((resolve) => {
    const onSync = (state: boolean) => {
      if (!state) return;
      provider.off("sync", onSync);
      resolve();
    };
    provider.on("sync", onSync);
  });
}

export function scopeMap(doc: Y.Doc, scope: Scope): Y.Map<StewardRecord> {
  return doc.getMap<StewardRecord>(scope);
}

/** Writes records in one transaction, or one transaction per record (as readings arrive). */
export function writeRecords(doc: Y.Doc, records: readonly StewardRecord[], perRecord = false): void {
  const put = (r: StewardRecord) => scopeMap(doc, SCOPE_OF[r.type]).set(r.id, r);
  if (perRecord) for (const r of records) doc.transact(() => put(r));
  else doc.transact(() => records.forEach(put));
}

/** The records of a scope in [from, to], oldest first (what RecordStore.query returns). */
export function readRecords(doc: Y.Doc, scope: Scope, from: number, to: number): StewardRecord[] {
  const out: StewardRecord[] = [];
  for (const r of scopeMap(doc, scope).values()) if (r.time >= from && r.time <= to) out.push(r);
  return out.sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
}

/** Resolves when the server's copy of `room` holds `count` records across `scopes`. */
export function serverHolds(server: YjsServer, room: string, scopes: readonly Scope[], count: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      const doc = server.doc(room);
      if (doc && scopes.reduce((n, s) => n + scopeMap(doc, s).size, 0) >= count) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(check, 1);
    check();
  });
}
