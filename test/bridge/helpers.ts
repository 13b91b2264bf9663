// What the bridge suites share: a patient's phone with a bridge linked to it, a caregiver's
// follow bridge that answered an invite, and the folders and servers to clean up afterwards.
import "fake-indexeddb/auto";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { Patient } from "../../client/index.js";
import {
  linkPatientBridge,
  safetyNumberWith,
  setUpFollowBridge,
  startBridge,
  type StartedBridge,
} from "../../bridge/setup.js";
import type { DeviceOptions } from "../../bridge/devices.js";

export const PASSPHRASE = "correct horse battery staple";
let n = 0;
export const unique = () => `${Date.now().toString(36)}${n++}`;
export const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");

export async function until<T>(check: () => Promise<T | undefined>, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A GET with the bridge's follower token. */
export function get(bridge: StartedBridge, path: string): Promise<Response> {
  return fetch(`${bridge.url}${path}${path.includes("?") ? "&" : "?"}token=${bridge.credentials.token}`);
}

/** A POST as uploaders send it: JSON with the api-secret header. */
export function post(
  bridge: StartedBridge,
  path: string,
  body: unknown,
  secret = bridge.credentials.secret,
): Promise<Response> {
  return fetch(`${bridge.url}${path}`, {
    method: "POST",
    headers: { "api-secret": sha1(secret), "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export class Bridges {
  private readonly folders: string[] = [];
  private readonly running: StartedBridge[] = [];

  constructor(
    private readonly server: string,
    private readonly net: Pick<DeviceOptions, "fetch" | "WebSocket"> = {},
  ) {}

  folder(): string {
    const dir = mkdtempSync(join(tmpdir(), "bridge-test-"));
    this.folders.push(dir);
    return join(dir, "bridge");
  }

  async phone(): Promise<Patient> {
    const { patient } = await Patient.create({
      server: this.server,
      handle: `pat${unique()}`,
      database: `phone-${unique()}`,
      ...this.net,
    });
    return patient;
  }

  /** Links a new bridge folder to `phone`'s account after both showed the same six digits. */
  async link(
    phone: Patient,
    server = this.server,
  ): Promise<{ dir: string; credentials: Awaited<ReturnType<typeof linkPatientBridge>> }> {
    const dir = this.folder();
    let approval: ReturnType<Patient["approveLink"]> | undefined;
    const credentials = await linkPatientBridge({
      ...this.net,
      dir,
      server,
      passphrase: PASSPHRASE,
      onCode: (code) => {
        approval = phone.approveLink(code);
      },
      confirm: async (digits) => {
        const answer = await approval!;
        expect(answer.sas).toBe(digits);
        await answer.confirm();
        return true;
      },
    });
    return { dir, credentials };
  }

  async start(dir: string, options: DeviceOptions = {}): Promise<StartedBridge> {
    const bridge = await startBridge({ ...this.net, ...options, dir, passphrase: PASSPHRASE, port: 0 });
    this.running.push(bridge);
    return bridge;
  }

  /** A patient's phone, and a running bridge linked to it. */
  async patientWithBridge(options: DeviceOptions = {}): Promise<{ phone: Patient; bridge: StartedBridge }> {
    const phone = await this.phone();
    const { dir } = await this.link(phone);
    return { phone, bridge: await this.start(dir, options) };
  }

  /** A caregiver's follow bridge that answered the patient's invite link; the patient's device issues the grant. */
  async followBridge(
    phone: Patient,
    invite: Parameters<Patient["createInvite"]>[0],
  ): Promise<{ bridge: StartedBridge; grantId: string }> {
    const { url } = await phone.createInvite(invite);
    const dir = this.folder();
    await setUpFollowBridge({
      ...this.net,
      dir,
      server: this.server,
      passphrase: PASSPHRASE,
      handle: `carer${unique()}`,
      invite: url,
    });
    const [grant] = await phone.completeInvites();
    return { bridge: await this.start(dir), grantId: grant!.grantId };
  }

  /**
   * A caregiver's follow bridge set up without an invite: the patient finds its handle, compares the
   * safety number the bridge prints, and shares.
   */
  async followByHandle(
    phone: Patient,
    share: Omit<Parameters<Patient["share"]>[0], "with">,
  ): Promise<{ bridge: StartedBridge; grantId: string }> {
    const dir = this.folder();
    const { handle } = await setUpFollowBridge({
      ...this.net,
      dir,
      server: this.server,
      passphrase: PASSPHRASE,
      handle: `carer${unique()}`,
    });
    const contact = await phone.findContact(handle);
    const bridgeSide = await safetyNumberWith({
      ...this.net,
      dir,
      passphrase: PASSPHRASE,
      patientHandle: phone.handle,
    });
    expect(bridgeSide).toEqual({ handle: phone.handle, digits: phone.safetyNumber(contact) });
    await phone.verifyContact(contact.accountId);
    const grant = await phone.share({ ...share, with: contact.accountId });
    return { bridge: await this.start(dir), grantId: grant.grantId };
  }

  async close(): Promise<void> {
    for (const b of this.running) await b.close().catch(() => undefined);
    for (const dir of this.folders) rmSync(dir, { recursive: true, force: true });
  }
}
