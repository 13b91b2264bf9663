// Counting what crosses the wire. A loopback TCP relay in front of a server counts every byte both
// ways (HTTP headers, bodies, WebSocket frames), the same way for Steward and its peers; a fetch
// wrapper lists the HTTP requests a client makes, which is how round trips are counted.
import { createServer, connect, type Server, type Socket } from "node:net";
import { performance } from "node:perf_hooks";

export interface WireCount {
  /** Bytes from client to server. */
  up: number;
  /** Bytes from server to client. */
  down: number;
}

export interface CountingRelay {
  /** http://127.0.0.1:port of the relay. */
  readonly url: string;
  readonly count: WireCount;
  reset(): void;
  stop(): Promise<void>;
}

export async function startCountingRelay(target: string): Promise<CountingRelay> {
  const { hostname, port } = new URL(target);
  const count: WireCount = { up: 0, down: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      // Without it Nagle holds a response's second segment until the client's delayed ACK: ~40 ms a
      // request that no real network path adds.
      s.setNoDelay(true);
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => (s === client ? upstream : client).destroy());
    }
    client.on("data", (d: Buffer) => (count.up += d.length));
    upstream.on("data", (d: Buffer) => (count.down += d.length));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address !== "object") throw new Error("the counting relay has no address");
  return {
    url: `http://127.0.0.1:${address.port}`,
    count,
    reset() {
      count.up = 0;
      count.down = 0;
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Response body bytes as received (before any decoding fetch does). */
  readonly bodyBytes: number;
  /** From sending the request to having the whole body. */
  readonly ms: number;
}

/** A fetch that reads each body to the end before returning it, and records the request. */
export function recordingFetch(log: RequestRecord[]): typeof fetch {
  return async (input, init) => {
    const start = performance.now();
    const response = await fetch(input, init);
    const body = await response.arrayBuffer();
    const url = new URL(input instanceof Request ? input.url : String(input));
    log.push({
      method: init?.method ?? "GET",
      path: url.pathname,
      status: response.status,
      bodyBytes: body.byteLength,
      ms: performance.now() - start,
    });
    return new Response([204, 205, 304].includes(response.status) ? null : body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/** Requests that are not part of logging in. */
export function afterLogin(log: readonly RequestRecord[]): RequestRecord[] {
  return log.filter((r) => !r.path.startsWith("/v1/auth/"));
}
