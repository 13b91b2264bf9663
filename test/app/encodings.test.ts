// The leak detector itself: a secret hidden in any of the encodings a client might use is found,
// and ciphertext-like bytes without it are not flagged.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { leaks, yjsIntegerField } from "./browser.js";

const secret = "Strawberry pancakes at grandma's";
const item = (text: string | Buffer) => ({ what: "test", bytes: Buffer.isBuffer(text) ? text : Buffer.from(text) });

describe("leak detection", () => {
  it.each([
    ["raw UTF-8", `{"text":"${secret}"}`],
    ["URL-encoded", `/v1/search?q=${encodeURIComponent(secret)}`],
    ["hex", Buffer.from(`xx${secret}yy`).toString("hex")],
    ["UTF-16", Buffer.from(secret, "utf16le")],
    ["base64 at offset 0", Buffer.from(secret).toString("base64")],
    ["base64 at offset 1", Buffer.from(`a${secret}`).toString("base64")],
    ["base64url at offset 2", Buffer.from(`ab${secret}`).toString("base64url")],
  ])("finds the secret sent as %s", (_name, payload) => {
    expect(leaks([item(payload)], [secret])).toHaveLength(1);
  });

  it("finds a secret with quotes inside a JSON string", () => {
    const quoted = 'Said "no more pancakes"';
    expect(leaks([item(JSON.stringify({ note: quoted }))], [quoted])).toHaveLength(1);
  });

  it("finds a glucose value inside a plaintext Yjs update of a stored record, also in base64", () => {
    const doc = new Y.Doc();
    const entry = new Y.Map<unknown>();
    doc.getMap("records").set("cgm-1", entry);
    entry.set("record", { id: "cgm-1", type: "cgm", time: 1_700_000_000_000, body: { mgdl: 137, trend: "flat" } });
    const update = Buffer.from(Y.encodeStateAsUpdate(doc));
    expect(leaks([item(update)], [yjsIntegerField("mgdl", 137)])).toHaveLength(1);
    expect(leaks([item(`{"page":"${update.toString("base64")}"}`)], [yjsIntegerField("mgdl", 137)])).toHaveLength(1);
    expect(leaks([item(update)], [yjsIntegerField("mgdl", 138)])).toEqual([]);
  });

  it("does not flag random bytes or their base64", () => {
    const noise = randomBytes(4096);
    expect(leaks([item(noise), item(noise.toString("base64"))], [secret, yjsIntegerField("mgdl", 137)])).toEqual([]);
  });
});
