// steward-bridge: set up a bridge once (link it to a patient's account, or make it a caregiver's
// or clinician's account), then start it; it serves the Nightscout API to the apps on this machine
// (or, with --lan, on the local network). Run `steward-bridge help` for the commands.
import { createInterface } from "node:readline/promises";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { StewardError } from "../client/index.js";
import { credentialsOf } from "./devices.js";
import type { Credentials } from "./http/auth.js";
import { BridgeState, MIN_PASSPHRASE } from "./state.js";
import {
  DEFAULT_PORT,
  linkPatientBridge,
  listenAddress,
  safetyNumberWith,
  setUpFollowBridge,
  startBridge,
} from "./setup.js";

const USAGE = `steward-bridge: the Nightscout API for Steward, on your own machine

Set up once (each asks for a passphrase that protects the bridge's keys on disk):
  steward-bridge link   --server URL [--dir DIR]
      link as one of the patient's devices: type the code shown here into the
      Steward app ("Link a device"), then compare the six digits on both screens
  steward-bridge follow --server URL --handle NAME [--invite 'LINK'] [--dir DIR]
      a caregiver's or clinician's bridge: a new account that answers the
      patient's invite link, or waits for a share to NAME

Then:
  steward-bridge start  [--dir DIR] [--port ${DEFAULT_PORT}] [--lan] [--host ADDR]
      serve the Nightscout API on 127.0.0.1 (with --lan: on the local network)
  steward-bridge secret [--dir DIR]
      print the API secret (for uploaders) and the token (for follower apps)
  steward-bridge safety-number --patient HANDLE [--dir DIR]
      a follow bridge set up without an invite: the 60 digits to compare with
      the patient before they share with this bridge's handle

DIR defaults to ~/.steward-bridge. The passphrase is read from the terminal, or
from the file named by --passphrase-file, or from STEWARD_BRIDGE_PASSPHRASE.`;

const options = {
  dir: { type: "string" },
  server: { type: "string" },
  handle: { type: "string" },
  invite: { type: "string" },
  patient: { type: "string" },
  port: { type: "string" },
  host: { type: "string" },
  lan: { type: "boolean" },
  "passphrase-file": { type: "string" },
  "time-zone": { type: "string" },
} as const;

type Args = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>["values"];

class UsageError extends Error {}

async function ask(question: string, hidden = false): Promise<string> {
  if (!process.stdin.isTTY)
    throw new UsageError(
      hidden
        ? "no terminal to ask for the passphrase on: set STEWARD_BRIDGE_PASSPHRASE or use --passphrase-file"
        : `no terminal to answer "${question.trim()}" on`,
    );
  // A passphrase is typed into an output that echoes nothing.
  let echo = true;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (echo) process.stdout.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    process.stdout.write(question);
    echo = !hidden;
    const answer = await rl.question("");
    if (hidden) process.stdout.write("\n");
    return answer;
  } finally {
    rl.close();
  }
}

async function passphrase(args: Args, confirmNew: boolean, dir?: string): Promise<string> {
  // Say a folder is empty before asking for a passphrase that could open nothing.
  if (dir !== undefined && !BridgeState.exists(dir))
    throw new UsageError(`${dir} holds no bridge yet: run "steward-bridge link" or "steward-bridge follow" first`);
  if (args["passphrase-file"]) return readFileSync(args["passphrase-file"], "utf8").replace(/\r?\n$/, "");
  if (process.env.STEWARD_BRIDGE_PASSPHRASE) return process.env.STEWARD_BRIDGE_PASSPHRASE;
  const first = await ask(
    confirmNew ? `Choose a passphrase for this bridge (at least ${MIN_PASSPHRASE} characters): ` : "Passphrase: ",
    true,
  );
  if (confirmNew && (await ask("Type it again: ", true)) !== first)
    throw new UsageError("the two passphrases differ; start again");
  return first;
}

function required(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`missing --${flag}\n\n${USAGE}`);
  return value;
}

function printCredentials(credentials: Credentials): void {
  console.log(`  API secret (uploaders: xDrip+, AndroidAPS, ...): ${credentials.secret}`);
  console.log(`  token (follower apps, as ?token= or https://TOKEN@host): ${credentials.token}`);
}

async function main(argv: string[]): Promise<void> {
  const { values: args, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
  const command = positionals[0] ?? "help";
  const dir = resolve(args.dir ?? join(homedir(), ".steward-bridge"));
  const device = args["time-zone"] ? { timeZone: args["time-zone"] } : {};

  if (command === "link") {
    const server = required(args.server, "server");
    const secret = await passphrase(args, true);
    const credentials = await linkPatientBridge({
      ...device,
      dir,
      server,
      passphrase: secret,
      onCode: (code) =>
        console.log(
          `In the Steward app on a device where you are signed in, open Devices, "Link a new device", and type:\n\n  ${code}\n`,
        ),
      confirm: async (digits) => /^y(es)?$/i.test((await ask(`Does the other screen show ${digits}? [y/N] `)).trim()),
    });
    console.log(`Linked. This bridge is now one of your devices (${dir}).`);
    printCredentials(credentials);
    console.log("Start it with: steward-bridge start");
    return;
  }
  if (command === "follow") {
    const server = required(args.server, "server");
    const handle = required(args.handle, "handle");
    const setup = await setUpFollowBridge({
      ...device,
      dir,
      server,
      handle,
      passphrase: await passphrase(args, true),
      ...(args.invite ? { invite: args.invite } : {}),
    });
    console.log(`Account ${setup.handle} created (${dir}). Recovery code, keep it safe: ${setup.recoveryCode}`);
    console.log(
      setup.patient
        ? `Answered ${setup.patient.handle}'s invite; the share appears once their device confirms it.`
        : `Ask the patient to share with ${setup.handle}.`,
    );
    printCredentials(setup.credentials);
    console.log("Start it with: steward-bridge start");
    return;
  }
  if (command === "secret") {
    const state = await BridgeState.open(dir, await passphrase(args, false, dir));
    try {
      printCredentials(await credentialsOf(state));
    } finally {
      state.close();
    }
    return;
  }
  if (command === "safety-number") {
    const patientHandle = required(args.patient, "patient");
    const { handle, digits } = await safetyNumberWith({
      ...device,
      dir,
      patientHandle,
      passphrase: await passphrase(args, false, dir),
    });
    console.log(
      `Compare with ${handle} (in person or on a call); they share with this bridge once the digits match:\n\n  ${digits}\n`,
    );
    return;
  }
  if (command === "start") {
    const port = args.port === undefined ? DEFAULT_PORT : Number.parseInt(args.port, 10);
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new UsageError(`--port must be a port number, not ${args.port}`);
    const where = { ...(args.host ? { host: args.host } : {}), ...(args.lan ? { lan: true } : {}) };
    listenAddress(where);
    const started = await startBridge({
      ...device,
      ...where,
      dir,
      passphrase: await passphrase(args, false, dir),
      port,
    });
    const side =
      started.bridge.side === "patient"
        ? "patient's bridge: uploads and the patient's own data"
        : "follow bridge: the patient's share, read-only";
    console.log(`Steward bridge (${side}) listening on ${started.url}`);
    if (started.lanUrls.length > 0) {
      console.log(`On your network: ${started.lanUrls.join(", ")}`);
      printCredentials(started.credentials);
    }
    const stop = () => {
      void started.close().then(() => process.exit(0));
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    return;
  }
  console.log(USAGE);
  if (command !== "help") process.exitCode = 2;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const parse =
    typeof (error as { code?: unknown }).code === "string" &&
    (error as { code: string }).code.startsWith("ERR_PARSE_ARGS");
  if (error instanceof UsageError || error instanceof StewardError || parse) {
    console.error(`steward-bridge: ${(error as Error).message}${parse ? `\n\n${USAGE}` : ""}`);
  } else {
    console.error(error);
  }
  process.exit(1);
});
