// The shape of a benchmark run as written to bench/results/*.json, and the machine it ran on.
import { cpus, loadavg, totalmem, platform, release } from "node:os";
import type { AnalysisBench } from "./analysis.js";
import type { ByteAnatomy } from "./byteAnatomy.js";
import type { CryptoFloor } from "./cryptoFloor.js";
import type { ChromiumReport } from "./chromiumReport.js";
import type { PatientSetup, PeerOpen, SdkOpen, StewardOpen } from "./clinicianOpen.js";
import type { FanOut } from "./fanOut.js";
import type { GrantCost, RevokeEverything } from "./grants.js";
import type { PeerWeek, StewardWeek } from "./weekOffline.js";

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGB: number;
  readonly os: string;
  readonly node: string;
  /** 1-minute load average when the run started: other work on the machine skews the figures. */
  readonly loadAverage: number;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? "unknown",
    cores: list.length,
    memoryGB: Math.round(totalmem() / 1e9),
    os: `${platform()} ${release()}`,
    node: process.version,
    loadAverage: Math.round(loadavg()[0]! * 100) / 100,
  };
}

export interface ClinicianOpenResult {
  readonly days: number;
  readonly records: { readonly glucose: number; readonly insulin: number; readonly events: number };
  readonly steward: StewardOpen;
  readonly peer: PeerOpen;
  /** The same open through the role-level SDK, at the report's range only. */
  readonly sdk?: SdkOpen;
  /** The readings as Nightscout `entries` JSON (client/export/nightscoutEntries.ts), plain and gzipped. */
  readonly nightscout: { readonly jsonBytes: number; readonly gzipBytes: number };
  /** Page size the client asks for and the server allows (shared/api.ts). */
  readonly pageLimit: number;
}

export interface WeekOfflineResult {
  readonly steward: StewardWeek;
  /** The same writes as plaintext JSON rows in Dexie, one transaction each. */
  readonly dexiePlainWriteMs: number;
  readonly peer: PeerWeek;
}

export interface Results {
  readonly version: 2;
  readonly ranAt: string;
  readonly quick: boolean;
  readonly machine: Machine;
  /** The patient's phone writing the whole history and syncing it once. */
  setup?: Omit<PatientSetup, "patient">;
  /** One per range, shortest first. */
  clinicianOpens?: ClinicianOpenResult[];
  /** Absent without Chromium. */
  chromiumReport?: ChromiumReport;
  weekOffline?: WeekOfflineResult;
  grants?: GrantCost[];
  revokeEverything?: RevokeEverything;
  fanOut?: { readonly steward: FanOut; readonly peer: FanOut }[];
  crypto?: CryptoFloor;
  bytes?: ByteAnatomy;
  analysis?: AnalysisBench;
  readonly errors: { scenario: string; message: string }[];
  /** The table as printed. */
  table?: string;
}
