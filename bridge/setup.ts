// Setting a bridge up once, and starting it: a patient's bridge is linked to their account like
// any new device (a code, then six digits compared with the existing device); a grantee's bridge
// is a new caregiver or clinician account, which may answer an invite link at once.
import { networkInterfaces } from "node:os";
import { serve } from "@hono/node-server";
import { DeviceNotReady, Grantee, MalformedInput, Patient } from "../client/index.js";
import {
  credentialsOf,
  GranteeBridge,
  PatientBridge,
  saveCredentials,
  sdkOptions,
  type DeviceOptions,
  type RunningBridge,
} from "./devices.js";
import { bridgeApp } from "./http/app.js";
import { newCredentials, type Credentials } from "./http/auth.js";
import { BridgeState } from "./state.js";

export interface LinkOptions extends DeviceOptions {
  readonly dir: string;
  readonly server: string;
  readonly passphrase: string;
  /** Show the code for the person to type into their signed-in device. */
  onCode(code: string): void;
  /** Show the six digits; resolve true once the person saw the same on the other device. */
  confirm(digits: string): Promise<boolean>;
}

/** Links a new bridge folder as one of the patient's devices; returns what uploaders are set up with. */
export async function linkPatientBridge(options: LinkOptions): Promise<Credentials> {
  const state = await BridgeState.create(options.dir, "patient", options.server, options.passphrase);
  try {
    const request = await Patient.requestLink(sdkOptions(state, options));
    options.onCode(request.code);
    const digits = await request.sas();
    if (!(await options.confirm(digits))) {
      request.cancel();
      throw new DeviceNotReady("linking stopped: the six digits did not match, so no keys were sent; start again");
    }
    const patient = await request.complete();
    const credentials = newCredentials();
    await saveCredentials(state, credentials);
    await patient.close();
    state.saveConfig();
    return credentials;
  } finally {
    state.close();
  }
}

export interface FollowSetupOptions extends DeviceOptions {
  readonly dir: string;
  readonly server: string;
  readonly passphrase: string;
  readonly handle: string;
  /** An invite link from the patient (the secret in its #fragment never leaves this machine). */
  readonly invite?: string;
}

export interface FollowSetup {
  readonly credentials: Credentials;
  readonly handle: string;
  /** The new account's recovery code, shown once. */
  readonly recoveryCode: string;
  readonly patient?: { readonly handle: string };
}

/** Creates the grantee account a follow bridge serves from; with an invite, answers it. */
export async function setUpFollowBridge(options: FollowSetupOptions): Promise<FollowSetup> {
  const state = await BridgeState.create(options.dir, "grantee", options.server, options.passphrase);
  try {
    const { grantee, recoveryCode } = await Grantee.create({ ...sdkOptions(state, options), handle: options.handle });
    const answered = options.invite ? await grantee.acceptInvite(options.invite) : undefined;
    const credentials = newCredentials();
    await saveCredentials(state, credentials);
    await grantee.close();
    state.saveConfig();
    return {
      credentials,
      handle: grantee.handle,
      recoveryCode,
      ...(answered ? { patient: { handle: answered.patient.handle } } : {}),
    };
  } finally {
    state.close();
  }
}

/**
 * The 60 digits a follow bridge's account and the patient `patientHandle` compare before the
 * patient shares with it by handle (an invite link needs none).
 */
export async function safetyNumberWith(
  options: DeviceOptions & { dir: string; passphrase: string; patientHandle: string },
): Promise<{ handle: string; digits: string }> {
  const state = await BridgeState.open(options.dir, options.passphrase);
  try {
    if (state.config.side !== "grantee")
      throw new MalformedInput(`${options.dir} is a patient's bridge: safety numbers are compared in the Steward app`);
    const grantee = await Grantee.open(sdkOptions(state, options));
    if (!grantee) throw new DeviceNotReady(`${options.dir} holds no caregiver or clinician account; set it up again`);
    try {
      const contact = await grantee.findContact(options.patientHandle);
      return { handle: contact.handle, digits: grantee.safetyNumber(contact) };
    } finally {
      await grantee.close();
    }
  } finally {
    state.close();
  }
}

export interface StartOptions extends DeviceOptions {
  readonly dir: string;
  readonly passphrase: string;
  readonly port?: number;
  /** An address to listen on; one off this machine needs `lan`. */
  readonly host?: string;
  /** Listen on the local network (all interfaces unless `host` names one). */
  readonly lan?: boolean;
}

export interface StartedBridge {
  readonly bridge: RunningBridge;
  readonly credentials: Credentials;
  /** Where apps on this machine reach it. */
  readonly url: string;
  /** Where apps on other devices reach it, when listening on the network. */
  readonly lanUrls: string[];
  close(): Promise<void>;
}

export const DEFAULT_PORT = 17580;

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function lanAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a): a is NonNullable<typeof a> => !!a && a.family === "IPv4" && !a.internal)
    .map((a) => a.address);
}

/** Opens the folder with its passphrase and serves the Nightscout API. */
/** The address to listen on: loopback unless the person asked for the network (MalformedInput otherwise). */
export function listenAddress(options: Pick<StartOptions, "host" | "lan">): string {
  const host = options.host ?? (options.lan ? "0.0.0.0" : "127.0.0.1");
  if (!isLoopback(host) && !options.lan)
    throw new MalformedInput(`${host} is reachable from other machines: add --lan to listen there on purpose`);
  return host;
}

export async function startBridge(options: StartOptions): Promise<StartedBridge> {
  const host = listenAddress(options);
  const state = await BridgeState.open(options.dir, options.passphrase);
  let bridge: RunningBridge;
  try {
    bridge =
      state.config.side === "patient"
        ? await PatientBridge.start(state, options)
        : await GranteeBridge.start(state, options);
  } catch (error) {
    state.close();
    throw error;
  }
  const credentials = await credentialsOf(state);
  const app = bridgeApp(bridge);
  let server: ReturnType<typeof serve>;
  try {
    server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: host, port: options.port ?? DEFAULT_PORT }, () => resolve(s));
      s.once("error", reject);
    });
  } catch (error) {
    await bridge.close();
    state.close();
    const code = (error as { code?: string }).code;
    if (code === "EADDRINUSE")
      throw new MalformedInput(
        `port ${options.port ?? DEFAULT_PORT} on ${host} is taken (another bridge?): choose one with --port`,
      );
    throw error;
  }
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : (options.port ?? DEFAULT_PORT);
  const lanUrls = isLoopback(host)
    ? []
    : (host === "0.0.0.0" ? lanAddresses() : [host]).map((a) => `http://${a}:${port}`);
  return {
    bridge,
    credentials,
    url: `http://${isLoopback(host) || host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`,
    lanUrls,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Followers keep connections alive; the bridge is stopping, so end them.
      if ("closeAllConnections" in server) server.closeAllConnections();
      await closed;
      await bridge.close();
      state.close();
    },
  };
}
