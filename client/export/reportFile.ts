// The encrypted report file for a provider without an account: the report's JSON sealed with
// libsodium secretstream (XChaCha20-Poly1305) in 64 KiB chunks under an Argon2id key from a generated
// passphrase that the patient passes on separately. Byte format: docs/protocol.md, "Report files".
//
//   magic "STRP" ‖ version u8 ‖ kdf params (alg u8, ops u32, mem u32, salt 16) ‖ key check 16
//   ‖ secretstream header 24 ‖ chunks (65 536 + 17 bytes each; the last one shorter and tagged FINAL)
//   every chunk's associated data = the 70 header bytes
import { ByteReader, ByteWriter, bytesEqual, concat, expectMagic, fromUtf8, utf8 } from "../../shared/bytes.js";
import { TamperedEnvelope, UnsupportedVersion, WrongSecret } from "../../shared/errors.js";
import { newGeneratedSecret, parseGeneratedSecret, type SecretKind } from "../../crypto/generatedSecret.js";
import { deriveKey, encodeKdfParams, newKdfParams, readKdfParams, type KdfParams } from "../../crypto/secretKdf.js";
import { sodium, type Sodium } from "../../crypto/sodium.js";
import { decodeReport, encodeReport, type Report } from "./report.js";

const MAGIC = "STRP";
const VERSION = 1;
/** Plaintext bytes per chunk; every chunk but the last is exactly this long. */
export const REPORT_CHUNK_BYTES = 65_536;
const ABYTES = 17;
const HEADER_BYTES = 4 + 1 + 25 + 16 + 24;
const KEY_CHECK_BYTES = 16;
const SUBKEY_CONTEXT = "STWRrprt";
type StreamState = Parameters<Sodium["crypto_secretstream_xchacha20poly1305_pull"]>[0];
const PASSPHRASE: SecretKind = { checkLabel: "steward/report-check/v1", name: "report passphrase" };

export interface SealedReport {
  readonly file: Uint8Array;
  /** Generated, 36 characters in groups of four; give it to the recipient by another way than the file. */
  readonly passphrase: string;
}

/** The stream key and a check value from the Argon2id key, so a wrong passphrase is told apart from tampering. */
function subkeys(secret: Uint8Array, params: KdfParams): { streamKey: Uint8Array; keyCheck: Uint8Array } {
  const s = sodium();
  const master = deriveKey(secret, params);
  try {
    return {
      streamKey: s.crypto_kdf_derive_from_key(32, 1, SUBKEY_CONTEXT, master),
      keyCheck: s.crypto_kdf_derive_from_key(KEY_CHECK_BYTES, 2, SUBKEY_CONTEXT, master),
    };
  } finally {
    s.memzero(master);
  }
}

export function sealReport(report: Report): SealedReport {
  const s = sodium();
  const params = newKdfParams();
  const passphrase = newGeneratedSecret(PASSPHRASE);
  const { streamKey, keyCheck } = subkeys(passphrase.bytes, params);
  try {
    const { state, header: streamHeader } = s.crypto_secretstream_xchacha20poly1305_init_push(streamKey);
    const header = new ByteWriter(HEADER_BYTES)
      .raw(utf8(MAGIC))
      .u8(VERSION)
      .raw(encodeKdfParams(params))
      .fixed(keyCheck, KEY_CHECK_BYTES, "key check")
      .fixed(streamHeader, 24, "stream header")
      .finish();
    const plaintext = utf8(encodeReport(report));
    const chunks: Uint8Array[] = [header];
    for (let at = 0; ; at += REPORT_CHUNK_BYTES) {
      const last = at + REPORT_CHUNK_BYTES >= plaintext.length;
      const tag = last
        ? s.crypto_secretstream_xchacha20poly1305_TAG_FINAL
        : s.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
      chunks.push(
        s.crypto_secretstream_xchacha20poly1305_push(
          state,
          plaintext.subarray(at, at + REPORT_CHUNK_BYTES),
          header,
          tag,
        ),
      );
      if (last) break;
    }
    return { file: concat(...chunks), passphrase: passphrase.text };
  } finally {
    s.memzero(streamKey);
  }
}

/**
 * Opens a report file. Refuses, each with its own typed error: a typo in the passphrase
 * (MalformedInput), weak or absurd KDF parameters before deriving (WeakKdfParameters), a wrong
 * passphrase (WrongSecret), and a truncated, extended, reordered or spliced file (TamperedEnvelope).
 */
export function openReport(file: Uint8Array, passphrase: string): Report {
  const s = sodium();
  const secret = parseGeneratedSecret(passphrase, PASSPHRASE);
  const reader = new ByteReader(file, "report file");
  expectMagic(reader, MAGIC, "report file");
  const version = reader.u8("version");
  if (version !== VERSION)
    throw new UnsupportedVersion(`report file version ${version} is not supported; update the app to open it`);
  const params = readKdfParams(reader);
  const storedCheck = reader.fixed(KEY_CHECK_BYTES, "key check");
  const streamHeader = reader.fixed(24, "stream header");
  const header = file.slice(0, reader.position);
  const body = reader.rest();
  if (body.length < ABYTES) throw new TamperedEnvelope("the report file is truncated: it ends before its first chunk");

  const { streamKey, keyCheck } = subkeys(secret.bytes, params);
  try {
    if (!bytesEqual(keyCheck, storedCheck))
      throw new WrongSecret(
        "this passphrase does not open the report: check it with the sender (or the file was altered)",
      );
    const state = s.crypto_secretstream_xchacha20poly1305_init_pull(streamHeader, streamKey);
    const parts: Uint8Array[] = [];
    for (let at = 0; ; ) {
      const chunk = body.subarray(at, at + REPORT_CHUNK_BYTES + ABYTES);
      at += chunk.length;
      const opened = pull(state, chunk, header);
      parts.push(opened.message);
      const final = opened.tag === s.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
      if (final && at < body.length)
        throw new TamperedEnvelope("the report file has bytes after its end: it was extended or altered");
      if (final) break;
      if (at >= body.length)
        throw new TamperedEnvelope("the report file is truncated: its last chunk is missing; download it again");
    }
    return decodeReport(fromUtf8(concat(...parts), "report"));
  } finally {
    s.memzero(streamKey);
  }
}

function pull(state: StreamState, chunk: Uint8Array, header: Uint8Array): { message: Uint8Array; tag: number } {
  const s = sodium();
  let opened: { message: Uint8Array; tag: number } | false;
  try {
    opened = chunk.length < ABYTES ? false : s.crypto_secretstream_xchacha20poly1305_pull(state, chunk, header);
  } catch {
    opened = false;
  }
  // libsodium.js returns false (some versions throw) when a chunk fails authentication.
  if (!opened)
    throw new TamperedEnvelope(
      "a chunk of the report file fails authentication: it was cut, reordered, or mixed with another file",
    );
  return opened;
}
