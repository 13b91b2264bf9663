// Thin HTTP helpers over the worker (SELF) for workers tests.
import { SELF } from "cloudflare:test";
import { fromBase64Url, toBase64Url } from "../../shared/bytes.js";
import { decodePage, encodeEnvelopeBatch, type Page } from "../../shared/syncFrames.js";
import { loginSignature, newIdentity, type Identity } from "./webcryptoFixtures.js";

export const BASE = "https://steward.test";

export interface Session {
  readonly identity: Identity;
  readonly token: string;
}

export function call(path: string, init: Omit<RequestInit, "body"> & { token?: string; body?: BodyInit | Uint8Array } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  const { token: _token, body, ...rest } = init;
  return SELF.fetch(`${BASE}${path}`, { ...rest, headers, body: body instanceof Uint8Array ? new Uint8Array(body) : (body ?? null) });
}

export function postJson(path: string, body: unknown, token?: string): Promise<Response> {
  return call(path, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" }, ...(token ? { token } : {}) });
}

export async function register(identity: Identity, handle: string): Promise<Response> {
  return postJson("/v1/accounts", { bundle: toBase64Url(identity.bundle), handle });
}

export async function login(identity: Identity): Promise<string> {
  const challenge = await postJson("/v1/auth/challenge", { accountId: identity.accountId });
  if (challenge.status !== 200) throw new Error(`challenge failed: ${challenge.status} ${await challenge.text()}`);
  const { nonce } = await challenge.json<{ nonce: string }>();
  const signature = await loginSignature(identity, fromBase64Url(nonce));
  const res = await postJson("/v1/auth/login", { accountId: identity.accountId, nonce, signature: toBase64Url(signature) });
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

export function push(session: Session, patientId: string, envelopes: Uint8Array[]): Promise<Response> {
  return call(`/v1/patients/${patientId}/envelopes`, { method: "POST", body: encodeEnvelopeBatch(envelopes), token: session.token });
}

export async function pull(session: Session, patientId: string, query = ""): Promise<{ status: number; page?: Page; error?: { code: string; message: string } }> {
  const res = await call(`/v1/patients/${patientId}/envelopes${query ? `?${query}` : ""}`, { token: session.token });
  if (res.status !== 200) return { status: res.status, error: (await res.json<{ error: { code: string; message: string } }>()).error };
  return { status: 200, page: decodePage(new Uint8Array(await res.arrayBuffer())) };
}

export async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  return (await res.json<{ error: { code: string; message: string } }>()).error;
}
