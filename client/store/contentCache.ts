// Contents of stored objects, decrypted and decoded, kept by object id so a query or a seal does not
// open the same block again: opening is most of what reading costs. Bounded by an estimate of the
// memory they take; past the cap the least recently used go and are simply opened again.
import type { ShardContent } from "../../shared/shardContent.js";

/** About a year of one scope's readings with room to spare. */
export const CONTENT_CACHE_BYTES = 64 * 1024 * 1024;

function estimate(content: ShardContent): number {
  let bytes = 64 + (content.readings.length + content.view.length) * 160;
  for (const u of content.yjs) bytes += u.update.length;
  return bytes;
}

export class ContentCache {
  private readonly entries = new Map<string, { content: ShardContent; bytes: number }>();
  private bytes = 0;

  constructor(private readonly capBytes = CONTENT_CACHE_BYTES) {}

  get(id: string): ShardContent | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    // Most recently used last.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.content;
  }

  put(id: string, content: ShardContent): ShardContent {
    const previous = this.entries.get(id);
    if (previous) this.bytes -= previous.bytes;
    this.entries.delete(id);
    const bytes = estimate(content);
    if (bytes > this.capBytes) return content;
    this.entries.set(id, { content, bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.capBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.bytes;
    }
    return content;
  }

  get size(): number {
    return this.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
