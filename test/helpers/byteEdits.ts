// Random edits of a valid encoding (set, insert, delete bytes): they reach much deeper into a decoder
// than random bytes. Shared by the decoder fuzz (Node) and the route fuzz (workerd).
import fc from "fast-check";

export interface ByteEdit {
  readonly op: string;
  readonly at: number;
  readonly value: number;
}

export function byteEdits(maxLength: number): fc.Arbitrary<ByteEdit[]> {
  return fc.array(
    fc.record({
      op: fc.constantFrom("set", "insert", "delete"),
      at: fc.nat(),
      value: fc.integer({ min: 0, max: 255 }),
    }),
    { minLength: 1, maxLength },
  );
}

export function applyEdits(bytes: Uint8Array, ops: readonly ByteEdit[]): Uint8Array {
  const out = [...bytes];
  for (const { op, at, value } of ops) {
    const i = out.length === 0 ? 0 : at % (out.length + (op === "insert" ? 1 : 0));
    if (op === "set" && out.length > 0) out[i] = value;
    else if (op === "insert") out.splice(i, 0, value);
    else if (op === "delete") out.splice(i, 1);
  }
  return Uint8Array.from(out);
}
