import { describe, expect, it } from "vitest";
import { UpdateCache } from "../../../client/store/updateCache.js";

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

describe("updates kept from ingest for a shard's first load", () => {
  it("hands a shard's updates over once, by envelope id", () => {
    const cache = new UpdateCache(100);
    cache.add("glucose:1", "a", bytes(10, 1));
    cache.add("glucose:1", "b", bytes(10, 2));
    const taken = cache.take("glucose:1");
    expect([...taken!.keys()]).toEqual(["a", "b"]);
    expect(taken!.get("b")![0]).toBe(2);
    expect(cache.take("glucose:1")).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("forgets the oldest shards first once over its cap, and never counts an envelope twice", () => {
    const cache = new UpdateCache(100);
    cache.add("glucose:1", "a", bytes(40));
    cache.add("glucose:1", "a", bytes(40));
    cache.add("glucose:2", "b", bytes(40));
    expect(cache.size).toBe(80);
    cache.add("glucose:3", "c", bytes(40));
    expect(cache.take("glucose:1")).toBeUndefined();
    expect(cache.take("glucose:2")?.has("b")).toBe(true);
    expect(cache.take("glucose:3")?.has("c")).toBe(true);
    cache.add("glucose:4", "d", bytes(101));
    expect(cache.take("glucose:4")).toBeUndefined();
  });
});
