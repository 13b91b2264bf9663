// Small helpers for ctx.storage.sql, whose blobs are ArrayBuffers.

/** Copies, so a view into a larger buffer never stores its neighbours. */
export function blob(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}

export function bytesOf(value: SqlStorageValue): Uint8Array {
  if (!(value instanceof ArrayBuffer)) throw new TypeError("expected a blob column");
  return new Uint8Array(value);
}
