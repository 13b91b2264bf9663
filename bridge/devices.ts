// The Steward device behind each side of a bridge, through the same SDK as the web app: a
// patient's linked device (uploads are written to its encrypted store and pushed at once) or a
// grantee's device (one share, followed live, ended when the grant ends).
import {
  backoffDelay,
  DeviceNotReady,
  ExpiredGrant,
  Grantee,
  Patient,
  RevokedGrant,
  SCOPES,
  type OpenOptions,
  type SharedView,
  type StewardRecord,
} from "../client/index.js";
import type { RecordSource } from "./follow/source.js";
import type { Credentials } from "./http/auth.js";
import type { BridgeBackend } from "./http/app.js";
import type { BridgeState } from "./state.js";

const CREDENTIALS = "credentials";
const GRANT = "grantId";
/** How often a grantee's bridge asks for its share while none is there yet. */
const SHARE_POLL_MS = 3_000;

export interface DeviceOptions {
  readonly fetch?: typeof fetch;
  readonly WebSocket?: typeof WebSocket;
  readonly timeZone?: string;
}

export function sdkOptions(state: BridgeState, options: DeviceOptions): OpenOptions {
  return {
    server: state.config.server,
    storage: state.storage,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
  };
}

export async function credentialsOf(state: BridgeState): Promise<Credentials> {
  const stored = await state.get<Credentials>(CREDENTIALS);
  if (!stored) throw new DeviceNotReady(`${state.dir} was never linked to completion: set it up again in a new folder`);
  return stored;
}

export async function saveCredentials(state: BridgeState, credentials: Credentials): Promise<void> {
  await state.set(CREDENTIALS, credentials);
}

function zoneOf(options: DeviceOptions): string {
  return options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export interface RunningBridge extends BridgeBackend {
  close(): Promise<void>;
}

/** A patient's linked device: uploads go to its store, then to the server at once. */
export class PatientBridge implements RunningBridge {
  readonly side = "patient" as const;
  private pushing?: Promise<void>;
  private again = false;
  private attempt = 0;
  private retry?: ReturnType<typeof setTimeout>;
  private closed = false;

  private constructor(
    private readonly patient: Patient,
    readonly credentials: Credentials,
    readonly timeZone: string,
  ) {}

  static async start(state: BridgeState, options: DeviceOptions = {}): Promise<PatientBridge> {
    const patient = await Patient.open(sdkOptions(state, options));
    if (!patient) throw new DeviceNotReady(`${state.dir} holds no linked patient device; link it again`);
    const bridge = new PatientBridge(patient, await credentialsOf(state), zoneOf(options));
    // Live: other devices' writes and key rotations arrive as they happen; the outbox left by a
    // previous run goes out with the first sync.
    void patient.sync.follow();
    return bridge;
  }

  get accountId(): string {
    return this.patient.accountId;
  }

  async source(): Promise<RecordSource> {
    return { scopes: SCOPES, from: 0, to: Number.MAX_SAFE_INTEGER, query: (q) => this.patient.records.query(q) };
  }

  async store(records: StewardRecord[]): Promise<void> {
    const written = await this.patient.records.put(records);
    if (written > 0) this.pushSoon();
  }

  /** Pushes now; one push at a time, another right after if writes came in meanwhile; retries with backoff offline. */
  private pushSoon(): void {
    if (this.closed) return;
    if (this.pushing !== undefined) {
      this.again = true;
      return;
    }
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    this.pushing = this.patient.sync
      .push()
      .then(
        () => {
          this.attempt = 0;
        },
        () => {
          // The outbox keeps everything; try again later (the live connection also syncs on reconnect).
          if (!this.closed)
            this.retry = setTimeout(
              () => this.pushSoon(),
              backoffDelay(this.attempt++, { baseMs: 1_000, maxMs: 60_000 }),
            );
        },
      )
      .finally(() => {
        this.pushing = undefined;
        if (this.again) {
          this.again = false;
          this.pushSoon();
        }
      });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    await this.pushing;
    await this.patient.close();
  }
}

/** A grantee's device serving one share: the one it was set up for, or the newest. */
export class GranteeBridge implements RunningBridge {
  readonly side = "grantee" as const;
  private view?: SharedView;
  private ended?: Error;
  private finding?: Promise<void>;
  private lastLook = 0;
  private poll?: ReturnType<typeof setInterval>;

  private constructor(
    private readonly grantee: Grantee,
    private readonly state: BridgeState,
    readonly credentials: Credentials,
    readonly timeZone: string,
  ) {}

  static async start(state: BridgeState, options: DeviceOptions = {}): Promise<GranteeBridge> {
    const grantee = await Grantee.open(sdkOptions(state, options));
    if (!grantee) throw new DeviceNotReady(`${state.dir} holds no caregiver or clinician account; set it up again`);
    const bridge = new GranteeBridge(grantee, state, await credentialsOf(state), zoneOf(options));
    await bridge.find().catch(() => undefined); // offline or not shared yet: the poll keeps looking
    bridge.poll = setInterval(() => {
      if (!bridge.view && !bridge.ended) void bridge.find().catch(() => undefined);
    }, SHARE_POLL_MS);
    return bridge;
  }

  get handle(): string {
    return this.grantee.handle;
  }

  private find(): Promise<void> {
    this.finding ??= this.findNow().finally(() => (this.finding = undefined));
    return this.finding;
  }

  private async findNow(): Promise<void> {
    this.lastLook = Date.now();
    const wanted = await this.state.get<string>(GRANT);
    const shares = await this.grantee.shares();
    const share = wanted ? shares.find((s) => s.grantId === wanted) : shares[0];
    if (!share) {
      // The share this bridge served is no longer listed: revoked or expired while it was away.
      if (wanted && this.grantee.sharesAsOf === undefined)
        this.ended = new RevokedGrant("the patient's share has ended (revoked or expired); ask them to share again");
      return;
    }
    if (!wanted) await this.state.set(GRANT, share.grantId);
    const view = await this.grantee.open(share.grantId);
    view.sync.onStatus((status) => {
      if (status.ended)
        this.ended = new RevokedGrant("the patient's share has ended (revoked or expired); ask them to share again");
    });
    this.view = view;
    void view.sync.follow();
  }

  async source(): Promise<RecordSource> {
    if (this.ended) throw this.ended;
    if (!this.view && Date.now() - this.lastLook > 1_000) await this.find().catch(() => undefined);
    if (this.ended) throw this.ended;
    const view = this.view;
    if (!view)
      throw new DeviceNotReady(
        `nothing is shared with ${this.grantee.handle} yet: waiting for the patient's device to issue the share`,
      );
    if (view.endsIn() === 0)
      throw new ExpiredGrant(
        `the patient's share ended at ${new Date(view.share.expiresAt).toISOString()}; ask them to share again`,
      );
    if (view.sync.status.ended)
      throw new RevokedGrant("the patient's share has ended (revoked or expired); ask them to share again");
    const { scopes, from, to } = view.share;
    return { scopes, from, to, query: (q) => view.records.query(q) };
  }

  async close(): Promise<void> {
    if (this.poll) clearInterval(this.poll);
    await this.finding?.catch(() => undefined);
    await this.grantee.close();
  }
}
