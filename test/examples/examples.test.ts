// The README's role examples, run as a new user would (three processes against the real worker),
// and checked to be exactly what the README shows.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type LocalWorker } from "../e2e/localWorker.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const EXAMPLES = ["clinician", "patient", "caregiver"] as const;
let worker: LocalWorker;

interface Run {
  readonly child: ChildProcess;
  output: string;
  /** Resolves with the first match of `pattern` in the output. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

function run(example: string, args: string[] = []): Run {
  const child = spawn(process.execPath, ["--import", "tsx", `examples/${example}.ts`, ...args], {
    cwd: root,
    env: { ...process.env, STEWARD_SERVER: worker.url },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const state: Run = {
    child,
    output: "",
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = state.output.match(pattern);
          if (match) resolve(match);
          else if (child.exitCode !== null)
            reject(new Error(`examples/${example}.ts exited without printing ${pattern}:\n${state.output}`));
          else setTimeout(check, 50);
        };
        check();
      }),
    exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))),
  };
  child.stdout!.on("data", (d) => (state.output += d));
  child.stderr!.on("data", (d) => (state.output += d));
  return state;
}

beforeAll(async () => {
  worker = await startWorker();
}, 120_000);
afterAll(async () => worker?.stop());

describe("README role examples", () => {
  it("are the files in examples/, verbatim", () => {
    const readme = readFileSync(`${root}README.md`, "utf8");
    for (const example of EXAMPLES)
      expect(readme).toContain(readFileSync(`${root}examples/${example}.ts`, "utf8").trim());
  });

  it("run end to end: the clinician sees the metrics and no insulin, the caregiver sees live lows until revoked", async () => {
    const clinician = run("clinician");
    const [, clinicianHandle] = await clinician.waitFor(/clinician handle: (\S+)/);
    const patient = run("patient", [clinicianHandle!]);
    const [, inviteUrl] = await patient.waitFor(/caregiver invite: (\S+)/);
    const caregiver = run("caregiver", [inviteUrl!]);
    const codes = await Promise.all([clinician.exited, patient.exited, caregiver.exited]);
    const all = `${clinician.output}\n${patient.output}\n${caregiver.output}`;
    expect(codes, all).toEqual([0, 0, 0]);
    expect(clinician.output).toMatch(/readings: (40\d\d|403\d), mean \d+ mg\/dL, time in range [\d.]+%, GMI [\d.]+%/);
    expect(clinician.output).toMatch(/insulin: this grant does not include insulin/);
    expect(caregiver.output).toMatch(/access ends in 4[78] hours/);
    expect(caregiver.output).toMatch(/live: \d+ mg\/dL \(low!\)/);
    expect(caregiver.output).toMatch(/access ended/);
    expect(patient.output).toMatch(/access log: .* grant\.revoke/);
  }, 120_000);
});
