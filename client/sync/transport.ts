// What the sync engine needs from a server, as an interface: the HTTP/WebSocket client implements
// it for the real worker, and the adversarial suites wrap it to tamper, drop, replay or withhold.
import type { CompactionRequest, Page } from "../../shared/syncFrames.js";

export interface LiveHandlers {
  onPage(page: Page): void;
  /** The socket closed; `code` 4403 means the grant behind it ended. */
  onClose(code: number, reason: string): void;
}

export interface LiveConnection {
  close(): void;
}

export interface SyncTransport {
  /** Stores envelopes (idempotent by envelope id); returns their server seqs in order. */
  push(patient: string, envelopes: readonly Uint8Array[]): Promise<number[]>;
  /**
   * Replaces envelopes of one shard by one compaction envelope, atomically; returns its server seq
   * (the same seq again for a retry). RequestRefused 404/409 when a source is unknown, elsewhere or
   * already compacted: then nothing changed.
   */
  compact(patient: string, request: CompactionRequest): Promise<number>;
  /** The next page after `after`. */
  pull(patient: string, after: number): Promise<Page>;
  /** Live pages of envelopes pushed after `after`, until closed. */
  live(patient: string, after: number, handlers: LiveHandlers): Promise<LiveConnection>;
}
