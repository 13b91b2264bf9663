// The HTTP side of the worker's /v1 API for clients: JSON requests with typed errors, session
// handling by challenge-response (the device signs a server nonce; no password exists anywhere).
import { z } from "zod";
import { sign, type AccountKeys } from "../../shared/accountKeys.js";
import { accountResponse, challengeResponse, errorResponse, inboxResponse, loginResponse, type AccountResponse, type InboxEntry } from "../../shared/api.js";
import { concat, fromBase64Url, fromHex, toBase64Url } from "../../shared/bytes.js";
import { MalformedInput, RequestRefused, ServerUnreachable } from "../../shared/errors.js";
import { accountIdHex, encodeKeyBundle } from "../../shared/keyBundle.js";

export interface Session {
  readonly token: string;
  readonly accountId: string;
  readonly expiresAt: number;
}

export class ServerApi {
  private session?: Session;

  constructor(
    readonly baseUrl: string,
    private readonly account: AccountKeys,
    private readonly fetcher: typeof fetch = (...args) => fetch(...args),
  ) {}

  get accountId(): string {
    return accountIdHex(this.account.signKey);
  }

  /** Raw request; throws ServerUnreachable on network failure and RequestRefused on an error status. */
  async request(method: string, path: string, init: { json?: unknown; body?: Uint8Array; auth?: boolean; query?: Record<string, string> } = {}): Promise<Response> {
    const url = new URL(path, this.baseUrl);
    for (const [k, v] of Object.entries(init.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = {};
    let body: BodyInit | undefined;
    if (init.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(init.json);
    } else if (init.body) {
      headers["content-type"] = "application/octet-stream";
      body = init.body as unknown as BodyInit;
    }
    if (init.auth) headers.authorization = `Bearer ${(await this.ensureSession()).token}`;
    let response: Response;
    try {
      response = await this.fetcher(url, { method, headers, body });
    } catch (error) {
      throw new ServerUnreachable(`cannot reach ${url.origin}: ${(error as Error).message}; your data stays on this device and syncs later`);
    }
    if (response.status === 401 && init.auth && this.session) {
      // The token expired between check and use: log in once more and retry.
      this.session = undefined;
      return this.request(method, path, init);
    }
    if (!response.ok) {
      const parsed = errorResponse.safeParse(await response.json().catch(() => null));
      const reason = parsed.success ? parsed.data.error.code : "unknown";
      const message = parsed.success ? parsed.data.error.message : `HTTP ${response.status}`;
      throw new RequestRefused(response.status, reason, `${method} ${url.pathname}: ${message}`);
    }
    return response;
  }

  async json<S extends z.ZodType>(schema: S, method: string, path: string, init: Parameters<ServerApi["request"]>[2] = {}): Promise<z.infer<S>> {
    const response = await this.request(method, path, init);
    const parsed = schema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new MalformedInput(`${method} ${path}: the server's answer does not match the API`);
    return parsed.data;
  }

  async register(handle: string): Promise<AccountResponse> {
    return this.json(accountResponse, "POST", "/v1/accounts", { json: { bundle: toBase64Url(encodeKeyBundle(this.account.bundle)), handle } });
  }

  async lookupHandle(handle: string): Promise<AccountResponse> {
    return this.json(accountResponse, "GET", `/v1/accounts/by-handle/${encodeURIComponent(handle)}`);
  }

  async lookupAccount(accountId: string): Promise<AccountResponse> {
    return this.json(accountResponse, "GET", `/v1/accounts/${accountId}`);
  }

  /** A valid session, logging in by signing a fresh server nonce when needed. */
  async ensureSession(): Promise<Session> {
    if (this.session && this.session.expiresAt > Date.now() + 30_000) return this.session;
    const { nonce } = await this.json(challengeResponse, "POST", "/v1/auth/challenge", { json: { accountId: this.accountId } });
    const nonceBytes = fromBase64Url(nonce, "nonce");
    const signature = sign("login", this.account.signSecretKey, concat(nonceBytes, fromHex(this.accountId, 16)));
    const session = await this.json(loginResponse, "POST", "/v1/auth/login", { json: { accountId: this.accountId, nonce, signature: toBase64Url(signature) } });
    this.session = session;
    return session;
  }

  async inbox(): Promise<InboxEntry[]> {
    return (await this.json(inboxResponse, "GET", "/v1/inbox", { auth: true })).grants;
  }
}
