// The HTTP side of the worker's /v1 API for clients: JSON requests with typed errors, and sessions
// opened by a login proof (shared/loginProof.ts) that rides on the first request needing one: the
// device signs its clock's time and a fresh nonce with its own key; no password exists anywhere.
import type { z } from "zod";
import { sign, type AccountKeys } from "../../crypto/accountKeys.js";
import {
  accessLogResponse,
  accountResponse,
  deviceListPublished,
  deviceListResponse,
  errorResponse,
  generationsResponse,
  grantsResponse,
  inboxResponse,
  keyRingResponse,
  receiptsResponse,
  loginResponse,
  recoveryKitResponse,
  rendezvousResponse,
  type AccountResponse,
  type GrantSummary,
  type Inbox,
  type RendezvousResponse,
} from "../../shared/api.js";
import type { AccessLogEntry } from "../../shared/accessLog.js";
import { fromBase64Url, fromHex, toBase64Url } from "../../shared/bytes.js";
import { ClockSkew, MalformedInput, RequestRefused, ServerUnreachable } from "../../shared/errors.js";
import { accountIdHex, encodeKeyBundle } from "../../shared/keyBundle.js";
import { encodeLoginProof, loginProofPayload, PROOF_SCHEME } from "../../shared/loginProof.js";
import { refusalError } from "./refusals.js";

/** Long enough for a 90-day pull on a slow phone link; a swallowed request fails after it. */
const REQUEST_TIMEOUT_MS = 60_000;

/** Who signs a login: a device with its own key (its id), or the recovery key (RECOVERY_ID). */
export interface LoginSigner {
  readonly id: Uint8Array;
  readonly secretKey: Uint8Array;
}

export interface Session {
  readonly token: string;
  readonly accountId: string;
  readonly expiresAt: number;
}

/** The answer header that carries the session a login proof opened: "<token> <expiresAt>". */
const SESSION_HEADER = "steward-session";

export class ServerApi {
  private session?: Session;
  /** The server's clock minus this device's, once a clock_skew refusal said it. */
  private clockOffset = 0;

  constructor(
    readonly baseUrl: string,
    /** Absent on a device that has no account yet (recovering, or linking); only public routes work. */
    private readonly account: AccountKeys | undefined,
    private readonly fetcher: typeof fetch = (...args) => fetch(...args),
    /** Absent for an account without a device list, which logs in with its identity key. */
    private readonly signer?: LoginSigner,
  ) {}

  get accountId(): string {
    return accountIdHex(this.keys().signKey);
  }

  private keys(): AccountKeys {
    if (!this.account)
      throw new MalformedInput("this device has no account yet: create one, recover one or link this device first");
    return this.account;
  }

  private fresh(): Session | undefined {
    return this.session && this.session.expiresAt > Date.now() + this.clockOffset + 30_000 ? this.session : undefined;
  }

  /** "Proof <base64url>": a login proof, signed now (shared/loginProof.ts). */
  private proof(): string {
    const signer = this.signer;
    const unsigned = {
      accountId: fromHex(this.accountId, 16),
      time: Date.now() + this.clockOffset,
      nonce: crypto.getRandomValues(new Uint8Array(16)),
      ...(signer ? { signer: signer.id } : {}),
    };
    const signature = sign("login", signer ? signer.secretKey : this.keys().signSecretKey, loginProofPayload(unsigned));
    return `${PROOF_SCHEME} ${toBase64Url(encodeLoginProof({ ...unsigned, signature }))}`;
  }

  /**
   * Raw request; throws ServerUnreachable on network failure, and on an error status the typed error
   * the refusal names (client/api/refusals.ts), RequestRefused for the others. Without a session, an
   * authenticated request carries a login proof and its answer the session.
   */
  async request(
    method: string,
    path: string,
    init: { json?: unknown; body?: Uint8Array; auth?: boolean; query?: Record<string, string>; retried?: boolean } = {},
  ): Promise<Response> {
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
    const session = init.auth ? this.fresh() : undefined;
    if (init.auth) headers.authorization = session ? `Bearer ${session.token}` : this.proof();
    let response: Response;
    try {
      // A request the network swallowed would otherwise hold up every later push.
      response = await this.fetcher(url, { method, headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      throw new ServerUnreachable(
        `cannot reach ${url.origin}: ${(error as Error).message}; your data stays on this device and syncs later`,
      );
    }
    this.keepSession(response);
    if (!response.ok) {
      const parsed = errorResponse.safeParse(await response.json().catch(() => null));
      const reason = parsed.success ? parsed.data.error.code : "unknown";
      const message = parsed.success ? parsed.data.error.message : `HTTP ${response.status}`;
      const serverTime = parsed.success ? parsed.data.error.serverTime : undefined;
      if (init.auth && !init.retried && (reason === "clock_skew" || (response.status === 401 && session))) {
        // The token expired between check and use, or this device's clock is off: once more, with a
        // new proof (at the server's time, when it said it).
        if (reason === "clock_skew" && serverTime !== undefined) this.clockOffset = serverTime - Date.now();
        if (session === this.session) this.session = undefined;
        return this.request(method, path, { ...init, retried: true });
      }
      if (reason === "clock_skew") throw new ClockSkew(message);
      throw refusalError(response.status, reason, message);
    }
    return response;
  }

  /** Keeps the session a proven request opened. */
  private keepSession(response: Response): void {
    const [token, expiresAt] = (response.headers.get(SESSION_HEADER) ?? "").split(" ");
    const until = Number(expiresAt);
    if (token && Number.isSafeInteger(until) && until > (this.session?.expiresAt ?? 0))
      this.session = { token, accountId: this.accountId, expiresAt: until };
  }

  async json<S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    init: Parameters<ServerApi["request"]>[2] = {},
  ): Promise<z.infer<S>> {
    const response = await this.request(method, path, init);
    const parsed = schema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new MalformedInput(`${method} ${path}: the server's answer does not match the API`);
    return parsed.data;
  }

  /** Registers the account's bundle and handle, with its first device list when given. */
  async register(handle: string, devices?: Uint8Array): Promise<AccountResponse> {
    return this.json(accountResponse, "POST", "/v1/accounts", {
      json: {
        bundle: toBase64Url(encodeKeyBundle(this.keys().bundle)),
        handle,
        ...(devices ? { devices: toBase64Url(devices) } : {}),
      },
    });
  }

  /** Stores the account's device list after a change (RequestRefused 409 if it does not continue the stored one). */
  async publishAccountDevices(list: Uint8Array): Promise<void> {
    await this.json(deviceListPublished, "PUT", `/v1/accounts/${this.accountId}/devices`, {
      auth: true,
      json: { devices: toBase64Url(list) },
    });
  }

  async lookupHandle(handle: string): Promise<AccountResponse> {
    return this.json(accountResponse, "GET", `/v1/accounts/by-handle/${encodeURIComponent(handle)}`, { auth: true });
  }

  async lookupAccount(accountId: string): Promise<AccountResponse> {
    return this.json(accountResponse, "GET", `/v1/accounts/${accountId}`);
  }

  /** A valid session, logging in with a proof when there is none (only a WebSocket needs one before its first request). */
  async ensureSession(): Promise<Session> {
    const session = this.fresh();
    if (session) return session;
    this.session = await this.json(loginResponse, "POST", "/v1/auth/login", { auth: true });
    return this.session;
  }

  /** Grants addressed to this account, the patients' signed revocations of grants to it, and the shares that ended lately. */
  async inbox(): Promise<Inbox> {
    return this.json(inboxResponse, "GET", "/v1/inbox", { auth: true });
  }

  /** The stored key ring, or undefined before the first store. */
  async keyRing(): Promise<{ version: number; blob: Uint8Array } | undefined> {
    try {
      const { version, blob } = await this.json(keyRingResponse, "GET", `/v1/accounts/${this.accountId}/key-ring`, {
        auth: true,
      });
      return { version, blob: fromBase64Url(blob, "key ring") };
    } catch (error) {
      if (error instanceof RequestRefused && error.status === 404) return undefined;
      throw error;
    }
  }

  /** RequestRefused 409 when another device stored this version first. */
  async storeKeyRing(version: number, blob: Uint8Array): Promise<void> {
    await this.request("PUT", `/v1/accounts/${this.accountId}/key-ring`, {
      auth: true,
      json: { version, blob: toBase64Url(blob) },
    });
  }

  async storeRecoveryKit(blob: Uint8Array): Promise<void> {
    await this.request("PUT", `/v1/accounts/${this.accountId}/recovery-kit`, {
      auth: true,
      json: { blob: toBase64Url(blob) },
    });
  }

  async grants(patientId: string): Promise<GrantSummary[]> {
    return (await this.json(grantsResponse, "GET", `/v1/patients/${patientId}/grants`, { auth: true })).grants;
  }

  async postGrant(patientId: string, wire: Uint8Array): Promise<void> {
    await this.request("POST", `/v1/patients/${patientId}/grants`, { auth: true, json: { grant: toBase64Url(wire) } });
  }

  async revokeGrant(patientId: string, grantId: string): Promise<void> {
    await this.request("DELETE", `/v1/patients/${patientId}/grants/${grantId}`, { auth: true });
  }

  async revokeAllGrants(patientId: string): Promise<void> {
    await this.request("POST", `/v1/patients/${patientId}/grants/revoke-all`, { auth: true });
  }

  /** Stores a signed revocation (shared/revocation.ts) of a grant; the server passes it to the grantee. */
  async postRevocation(patientId: string, revocation: Uint8Array): Promise<void> {
    await this.request("PUT", `/v1/patients/${patientId}/revocations`, {
      auth: true,
      json: { revocation: toBase64Url(revocation) },
    });
  }

  async declareGeneration(patientId: string, scopeTag: string, generation: number): Promise<void> {
    await this.json(generationsResponse, "PUT", `/v1/patients/${patientId}/generations`, {
      auth: true,
      json: { scopeTag, generation },
    });
  }

  /** Publishes the patient's device list to the patient log (RequestRefused 409 if it does not continue the stored one). */
  async publishDevices(patientId: string, list: Uint8Array): Promise<void> {
    await this.json(deviceListPublished, "PUT", `/v1/patients/${patientId}/devices`, {
      auth: true,
      json: { devices: toBase64Url(list) },
    });
  }

  /** The patient's device list as the patient log holds it, or undefined before its first device published it. */
  async patientDevices(patientId: string): Promise<Uint8Array | undefined> {
    try {
      return fromBase64Url(
        (await this.json(deviceListResponse, "GET", `/v1/patients/${patientId}/devices`, { auth: true })).devices,
        "device list",
      );
    } catch (error) {
      if (error instanceof RequestRefused && error.status === 404) return undefined;
      throw error;
    }
  }

  /** The grantees' signed receipts stored after position `after`. */
  async receipts(patientId: string, after: number, limit = 1000): Promise<{ n: number; receipt: Uint8Array }[]> {
    const { receipts } = await this.json(receiptsResponse, "GET", `/v1/patients/${patientId}/receipts`, {
      auth: true,
      query: { after: String(after), limit: String(limit) },
    });
    return receipts.map((r) => ({ n: r.n, receipt: fromBase64Url(r.receipt, "receipt") }));
  }

  async accessLog(patientId: string, after: number, limit = 1000): Promise<AccessLogEntry[]> {
    return (
      await this.json(accessLogResponse, "GET", `/v1/patients/${patientId}/access-log`, {
        auth: true,
        query: { after: String(after), limit: String(limit) },
      })
    ).entries;
  }

  /** Opens a device-link slot (no session: the new device has no account yet) or an invite slot. */
  async openSlot(
    kind: "link" | "invite",
    id: string,
    init: { body: Uint8Array } | { expiresAt: number },
  ): Promise<void> {
    const json = "body" in init ? { body: toBase64Url(init.body) } : init;
    await this.request("PUT", `/v1/${kind}s/${id}`, { auth: kind === "invite", json });
  }

  async postToSlot(kind: "link" | "invite", id: string, n: number, body: Uint8Array): Promise<void> {
    await this.request("POST", `/v1/${kind}s/${id}/messages`, {
      auth: kind === "invite",
      json: { n, body: toBase64Url(body) },
    });
  }

  async readSlot(kind: "link" | "invite", id: string): Promise<RendezvousResponse> {
    return this.json(rendezvousResponse, "GET", `/v1/${kind}s/${id}`, { auth: kind === "invite" });
  }

  async closeInvite(id: string): Promise<void> {
    await this.request("DELETE", `/v1/invites/${id}`, { auth: true });
  }

  /** The recovery kit stored for a handle; no session needed (the kit is useless without its code). */
  async recoveryKit(handle: string): Promise<{ accountId: string; blob: Uint8Array }> {
    const { accountId, blob } = await this.json(
      recoveryKitResponse,
      "GET",
      `/v1/accounts/by-handle/${encodeURIComponent(handle)}/recovery-kit`,
    );
    return { accountId, blob: fromBase64Url(blob, "recovery kit") };
  }
}
