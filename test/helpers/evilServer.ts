// The evil server: a loopback reverse proxy in front of the real worker through which the real
// clients talk (they are simply given its URL). Every HTTP exchange and every live page passes
// hooks that may answer instead of the worker (inject, withhold, replay), rewrite the answer
// (mutate, substitute directory keys, roll back) or drop, repeat and hold socket messages. It also
// records every request it sees, so a suite can check that a secret never left the client.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocket as UpstreamSocket, WebSocketServer, type RawData } from "ws";
import { fromUtf8, utf8 } from "../../shared/bytes.js";

export interface SeenRequest {
  readonly method: string;
  /** Path and query as the client sent them. */
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** Answers in place of the worker; undefined lets the request through. */
export type RequestHook = (request: SeenRequest) => Reply | undefined | Promise<Reply | undefined>;
/** Rewrites the worker's answer. */
export type ReplyHook = (request: SeenRequest, reply: Reply) => Reply | Promise<Reply>;
/** What the client receives for one server-to-client socket message: [] drops it, two copies repeat it. */
export type SocketHook = (message: Uint8Array, url: URL) => Uint8Array[];

export function jsonReply(status: number, value: unknown): Reply {
  return { status, headers: { "content-type": "application/json" }, body: utf8(JSON.stringify(value)) };
}

export function jsonOf<T = unknown>(reply: Pick<Reply, "body">): T {
  return JSON.parse(fromUtf8(reply.body, "reply")) as T;
}

function remover<T>(list: T[], item: T): () => void {
  list.push(item);
  return () => {
    const i = list.indexOf(item);
    if (i >= 0) list.splice(i, 1);
  };
}

async function readBody(request: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

function headersOf(request: IncomingMessage): Record<string, string> {
  return Object.fromEntries(
    Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]),
  );
}

// Close codes a peer may not send on the wire (1005, 1006, 1015) end the relay with a plain close.
const sendable = (code: number) =>
  code === 1000 ||
  (code >= 1001 && code <= 1014 && ![1004, 1005, 1006].includes(code)) ||
  (code >= 3000 && code <= 4999);

export class EvilServer {
  /** Every HTTP request and socket opening, in order. */
  readonly seen: SeenRequest[] = [];
  private readonly requestHooks: RequestHook[] = [];
  private readonly replyHooks: ReplyHook[] = [];
  private readonly socketHooks: SocketHook[] = [];
  private readonly sockets = new Set<UpstreamSocket>();

  private constructor(
    private readonly server: Server,
    private readonly upstream: string,
  ) {}

  static async start(upstream: string): Promise<EvilServer> {
    const server = createServer();
    const evil = new EvilServer(server, upstream);
    server.on("request", (req, res) => {
      evil.handle(req).then(
        (reply) => {
          res.writeHead(reply.status, reply.headers);
          res.end(reply.body);
        },
        (error: Error) => {
          res.writeHead(502, { "content-type": "text/plain" });
          res.end(`evil server: ${error.message}`);
        },
      );
    });
    const relays = new WebSocketServer({ noServer: true });
    server.on("upgrade", (req, socket, head) =>
      relays.handleUpgrade(req, socket, head, (client) => evil.relay(req, client)),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return evil;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  answer(hook: RequestHook): () => void {
    return remover(this.requestHooks, hook);
  }

  rewrite(hook: ReplyHook): () => void {
    return remover(this.replyHooks, hook);
  }

  onSocketMessage(hook: SocketHook): () => void {
    return remover(this.socketHooks, hook);
  }

  /** Back to an honest relay (the record of what was seen stays). */
  behave(): void {
    this.requestHooks.length = this.replyHooks.length = this.socketHooks.length = 0;
  }

  /** Passes a request to the worker untouched, for hooks that need the honest answer first. */
  async forward(request: SeenRequest): Promise<Reply> {
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(
        ([k]) => !["host", "connection", "content-length", "transfer-encoding"].includes(k),
      ),
    );
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    const response = await fetch(new URL(request.url.pathname + request.url.search, this.upstream), {
      method: request.method,
      headers,
      ...(hasBody ? { body: request.body as unknown as BodyInit } : {}),
    });
    // The answer's headers as the worker sent them (the session a login proof opened included), but
    // those of the connection and of an encoding fetch already undid.
    const replyHeaders: Record<string, string> = {};
    for (const [k, v] of response.headers)
      if (!["connection", "content-length", "transfer-encoding", "content-encoding", "keep-alive"].includes(k))
        replyHeaders[k] = v;
    return { status: response.status, headers: replyHeaders, body: new Uint8Array(await response.arrayBuffer()) };
  }

  private async handle(req: IncomingMessage): Promise<Reply> {
    const request: SeenRequest = {
      method: req.method ?? "GET",
      url: new URL(req.url ?? "/", this.url),
      headers: headersOf(req),
      body: await readBody(req),
    };
    this.seen.push(request);
    let reply: Reply | undefined;
    for (const hook of [...this.requestHooks]) {
      reply = await hook(request);
      if (reply) break;
    }
    reply ??= await this.forward(request);
    for (const hook of [...this.replyHooks]) reply = await hook(request, reply);
    return reply;
  }

  private relay(req: IncomingMessage, client: import("ws").WebSocket): void {
    const url = new URL(req.url ?? "/", this.url);
    this.seen.push({ method: "GET", url, headers: headersOf(req), body: new Uint8Array() });
    const target = new URL(url.pathname + url.search, this.upstream);
    target.protocol = target.protocol === "https:" ? "wss:" : "ws:";
    const upstream = new UpstreamSocket(target);
    this.sockets.add(upstream);
    const early: RawData[] = [];
    upstream.on("open", () => {
      for (const data of early.splice(0)) upstream.send(data);
    });
    client.on("message", (data) =>
      upstream.readyState === UpstreamSocket.OPEN ? upstream.send(data) : early.push(data),
    );
    upstream.on("message", (data: RawData) => {
      let messages: Uint8Array[] = [new Uint8Array(data as Buffer)];
      for (const hook of this.socketHooks) messages = messages.flatMap((m) => hook(m, url));
      for (const m of messages) client.send(m);
    });
    upstream.on("close", (code, reason) => {
      this.sockets.delete(upstream);
      if (sendable(code)) client.close(code, reason.toString());
      else client.terminate();
    });
    upstream.on("unexpected-response", () => client.terminate());
    upstream.on("error", () => client.terminate());
    client.on("close", () => upstream.readyState <= UpstreamSocket.OPEN && upstream.close());
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
