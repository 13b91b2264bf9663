// What the sync engine needs from a server, as an interface: the HTTP/WebSocket client implements
// it for the real worker, and the adversarial suites wrap it to tamper, drop, replay or withhold.
import type { Extra, Page } from "../../shared/syncFrames.js";

export interface LiveHandlers {
  onPage(page: Page): void;
  /** The socket closed; `code` 4403 means the grant behind it ended. */
  onClose(code: number, reason: string): void;
}

export interface LiveConnection {
  close(): void;
}

export interface SyncTransport {
  /**
   * Stores hour envelopes and blocks, in order, atomically (idempotent by id); returns their server
   * seqs in order. `extras` ride along (#10: signed heads).
   */
  push(patient: string, objects: readonly Uint8Array[], extras?: readonly Extra[]): Promise<number[]>;
  /** The next page after `after`. */
  pull(patient: string, after: number): Promise<Page>;
  /** Live pages of envelopes pushed after `after`, until closed. */
  live(patient: string, after: number, handlers: LiveHandlers): Promise<LiveConnection>;
}
