// Decrypted Yjs updates of envelopes ingested into shards whose document is not loaded yet, kept so
// the shard's first load does not verify and decrypt the same envelopes a second time. Keyed by
// envelope id: a load uses an update only for a row it read with a body, so a row whose body a
// compaction dropped, or one re-sealed under another id, never takes a stale update. Bounded in
// bytes; past the cap the oldest shards are forgotten and simply decrypted again on load.

/** About a year of hourly readings of one scope (an hour is about 2.4 KB). */
export const UPDATE_CACHE_BYTES = 32 * 1024 * 1024;

export class UpdateCache {
  private readonly shards = new Map<string, Map<string, Uint8Array>>();
  private bytes = 0;

  constructor(private readonly capBytes = UPDATE_CACHE_BYTES) {}

  add(shard: string, id: string, update: Uint8Array): void {
    if (update.length > this.capBytes) return;
    let updates = this.shards.get(shard);
    if (!updates) this.shards.set(shard, (updates = new Map()));
    const previous = updates.get(id);
    if (previous) this.bytes -= previous.length;
    updates.set(id, update);
    this.bytes += update.length;
    for (const [oldest, evicted] of this.shards) {
      if (this.bytes <= this.capBytes) break;
      this.shards.delete(oldest);
      for (const dropped of evicted.values()) this.bytes -= dropped.length;
    }
  }

  /** Removes and returns the shard's updates by envelope id: once loaded, its document holds them. */
  take(shard: string): Map<string, Uint8Array> | undefined {
    const updates = this.shards.get(shard);
    if (!updates) return undefined;
    this.shards.delete(shard);
    for (const update of updates.values()) this.bytes -= update.length;
    return updates;
  }

  get size(): number {
    return this.bytes;
  }

  clear(): void {
    this.shards.clear();
    this.bytes = 0;
  }
}
