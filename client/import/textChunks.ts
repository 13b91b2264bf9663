// Turns any ImportInput into decoded text chunks with a running byte count.
import type { ImportInput } from "./types.js";

export async function* textChunks(input: ImportInput): AsyncGenerator<{ text: string; bytesDone: number }> {
  const decoder = new TextDecoder("utf-8");
  if (typeof input === "string") {
    yield { text: input, bytesDone: new TextEncoder().encode(input).byteLength };
    return;
  }
  if (input instanceof Uint8Array) {
    yield { text: decoder.decode(input), bytesDone: input.byteLength };
    return;
  }
  const iterable: AsyncIterable<Uint8Array | string> = Symbol.asyncIterator in input ? input : readerIterable(input);
  let bytes = 0;
  for await (const chunk of iterable) {
    if (typeof chunk === "string") {
      bytes += new TextEncoder().encode(chunk).byteLength;
      yield { text: chunk, bytesDone: bytes };
    } else {
      bytes += chunk.byteLength;
      yield { text: decoder.decode(chunk, { stream: true }), bytesDone: bytes };
    }
  }
  const rest = decoder.decode();
  if (rest) yield { text: rest, bytesDone: bytes };
}

async function* readerIterable(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
