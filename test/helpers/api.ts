// Thin HTTP helpers over the worker (SELF) for workers tests.
import { SELF } from "cloudflare:test";
import { toBase64Url } from "../../shared/bytes.js";
import { decodePage, encodeUpload, type Page } from "../../shared/syncFrames.js";
import { loginProof, newIdentity, type Identity, type ProofOptions } from "./webcryptoFixtures.js";

export const BASE = "https://steward.test";

export interface Session {
  readonly identity: Identity;
  readonly token: string;
}

export function call(
  path: string,
  init: Omit<RequestInit, "body"> & { token?: string; body?: BodyInit | Uint8Array } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  const { token: _token, body, ...rest } = init;
  return SELF.fetch(`${BASE}${path}`, {
    ...rest,
    headers,
    body: body instanceof Uint8Array ? new Uint8Array(body) : (body ?? null),
  });
}

export function postJson(path: string, body: unknown, token?: string): Promise<Response> {
  return call(path, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
    ...(token ? { token } : {}),
  });
}

export async function register(identity: Identity, handle: string): Promise<Response> {
  return postJson("/v1/accounts", { bundle: toBase64Url(identity.bundle), handle });
}

/** A session token, from a login proof on its own (POST /v1/auth/login). */
export async function login(identity: Identity, options: ProofOptions = {}): Promise<string> {
  const res = await call("/v1/auth/login", {
    method: "POST",
    headers: { authorization: await loginProof(identity, options) },
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return (await res.json<{ token: string }>()).token;
}

let handles = 0;
/** A registered, signed-in account with a unique handle. */
export async function signedUp(prefix = "user"): Promise<Session> {
  const identity = await newIdentity();
  const res = await register(identity, `${prefix}${++handles}x${identity.accountId.slice(0, 6)}`);
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  return { identity, token: await login(identity) };
}

/** Uploads hour envelopes and blocks, in order. */
export function push(session: Session, patientId: string, objects: Uint8Array[]): Promise<Response> {
  return call(`/v1/patients/${patientId}/envelopes`, {
    method: "POST",
    body: encodeUpload(objects),
    token: session.token,
  });
}

export async function pull(
  session: Session,
  patientId: string,
  query = "",
): Promise<{ status: number; page?: Page; error?: { code: string; message: string } }> {
  const res = await call(`/v1/patients/${patientId}/envelopes${query ? `?${query}` : ""}`, { token: session.token });
  if (res.status !== 200)
    return { status: res.status, error: (await res.json<{ error: { code: string; message: string } }>()).error };
  return { status: 200, page: decodePage(new Uint8Array(await res.arrayBuffer())) };
}

export async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  return (await res.json<{ error: { code: string; message: string } }>()).error;
}

export interface LiveSocket {
  readonly ws: WebSocket;
  readonly pages: Page[];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Resolves once `count` pages have arrived. */
  waitFor(count: number): Promise<Page[]>;
}

/** A live socket on a patient's log, under one grant when `grantId` is given. */
export async function openSocket(
  session: Session,
  patientId: string,
  grantId?: string,
): Promise<LiveSocket | Response> {
  const grant = grantId ? `&grant=${grantId}` : "";
  const res = await SELF.fetch(
    `${BASE}/v1/patients/${patientId}/ws?token=${encodeURIComponent(session.token)}${grant}`,
    { headers: { upgrade: "websocket" } },
  );
  const ws = res.webSocket;
  if (!ws) return res;
  ws.accept();
  const pages: Page[] = [];
  const waiters: (() => void)[] = [];
  // Binary messages may arrive as Blobs; a promise chain keeps them in arrival order.
  let order = Promise.resolve();
  ws.addEventListener("message", (event) => {
    // Text frames are control messages ({"type":"ended"} before a 4403 close); pages are binary.
    if (typeof event.data === "string") return;
    const data = event.data as ArrayBuffer | Blob;
    order = order.then(async () => {
      pages.push(decodePage(new Uint8Array(data instanceof Blob ? await data.arrayBuffer() : data)));
      for (const w of waiters.splice(0)) w();
    });
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })),
  );
  const waitFor = async (count: number): Promise<Page[]> => {
    while (pages.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    return pages;
  };
  return { ws, pages, closed, waitFor };
}

export function grantCreate(session: Session, patientId: string, wire: Uint8Array): Promise<Response> {
  return postJson(`/v1/patients/${patientId}/grants`, { grant: toBase64Url(wire) }, session.token);
}
