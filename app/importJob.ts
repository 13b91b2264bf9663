// The patient's import runs here, above every screen: leaving the Import screen neither stops it
// nor hides it (the top bar shows its progress), and it runs at the same speed wherever the person
// is. One import at a time per device.
import { useEffect, useState } from "preact/hooks";
import { importFile, type ImportFileProgress, type ImportSummary, type Patient } from "../client/index.js";

export interface ImportState {
  readonly fileName: string;
  readonly running: boolean;
  readonly progress?: ImportFileProgress;
  readonly summary?: ImportSummary;
  readonly error?: unknown;
}

class ImportJob {
  state: ImportState | undefined;
  private abort?: AbortController;
  private readonly listeners = new Set<(state: ImportState | undefined) => void>();
  private frame?: number;

  constructor(private readonly patient: Patient) {}

  subscribe(listener: (state: ImportState | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private set(state: ImportState, now = false): void {
    this.state = state;
    // Progress arrives per shard (hundreds a second): the screen is told once per frame.
    if (!now && this.frame !== undefined) return;
    const tell = () => {
      this.frame = undefined;
      for (const l of this.listeners) l(this.state);
    };
    if (now) tell();
    else this.frame = requestAnimationFrame(tell);
  }

  async start(file: File, timeZone: string): Promise<void> {
    if (this.state?.running) return;
    this.abort = new AbortController();
    this.set({ fileName: file.name, running: true }, true);
    try {
      const summary = await importFile(this.patient.records, file, {
        timeZone,
        signal: this.abort.signal,
        onProgress: (progress) => this.set({ fileName: file.name, running: true, progress }),
      });
      this.set({ fileName: file.name, running: false, progress: this.state?.progress, summary } as ImportState, true);
      // Offline this fails fast and the status bar shows what waits; the engine sends it later.
      void this.patient.sync.sync().catch(() => undefined);
    } catch (error) {
      this.set({ fileName: file.name, running: false, error } as ImportState, true);
    }
  }

  stop(): void {
    this.abort?.abort();
  }
}

const jobs = new WeakMap<Patient, ImportJob>();

export function importJob(patient: Patient): ImportJob {
  let job = jobs.get(patient);
  if (!job) jobs.set(patient, (job = new ImportJob(patient)));
  return job;
}

export function useImportState(patient: Patient): ImportState | undefined {
  const job = importJob(patient);
  const [state, setState] = useState(job.state);
  useEffect(() => {
    setState(job.state);
    return job.subscribe(setState);
  }, [job]);
  return state;
}
