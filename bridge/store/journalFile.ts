// An append-only file of encrypted records, each fsynced before `append` returns. Record i is
// sealed with XChaCha20-Poly1305 under the bridge's journal key, with the file's random id and i as
// associated data, so records cannot be reordered, dropped from the middle or spliced in from
// another file. A crash can leave a torn last record: it was never acknowledged, so it is cut off.
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  truncateSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { concat, utf8 } from "../../shared/bytes.js";
import { MalformedInput, WrongSecret } from "../../shared/errors.js";
import { sodium } from "../../crypto/sodium.js";

const MAGIC = utf8("STEWARD-BRIDGE-JOURNAL-1\n");
const FILE_ID_BYTES = 16;
const NONCE_BYTES = 24;
const LABEL = utf8("steward/bridge-journal/v1");

function associatedData(fileId: Uint8Array, index: number): Uint8Array {
  const position = new Uint8Array(8);
  new DataView(position.buffer).setBigUint64(0, BigInt(index));
  return concat(LABEL, fileId, position);
}

function seal(key: Uint8Array, fileId: Uint8Array, index: number, plaintext: Uint8Array): Uint8Array {
  const nonce = sodium().randombytes_buf(NONCE_BYTES);
  const sealed = sodium().crypto_aead_xchacha20poly1305_ietf_encrypt(
    plaintext,
    associatedData(fileId, index),
    null,
    nonce,
    key,
  );
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, NONCE_BYTES + sealed.length);
  return concat(length, nonce, sealed);
}

function syncDirectory(path: string): void {
  const fd = openSync(dirname(path), "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Reads every intact record; a torn tail (crash while appending) is cut off the file. */
export function readJournal(path: string, key: Uint8Array): Uint8Array[] {
  if (!existsSync(path)) return [];
  const bytes = new Uint8Array(readFileSync(path));
  const head = MAGIC.length + FILE_ID_BYTES;
  if (bytes.length < head || !MAGIC.every((b, i) => bytes[i] === b))
    throw new MalformedInput(`${path} is not a Steward bridge state file`);
  const fileId = bytes.slice(MAGIC.length, head);
  const records: Uint8Array[] = [];
  let offset = head;
  while (offset < bytes.length) {
    const length =
      offset + 4 <= bytes.length ? new DataView(bytes.buffer, offset, 4).getUint32(0) : Number.POSITIVE_INFINITY;
    const end = offset + 4 + length;
    let plaintext: Uint8Array | undefined;
    if (end <= bytes.length && length > NONCE_BYTES) {
      try {
        const nonce = bytes.subarray(offset + 4, offset + 4 + NONCE_BYTES);
        plaintext = sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(
          null,
          bytes.subarray(offset + 4 + NONCE_BYTES, end),
          associatedData(fileId, records.length),
          nonce,
          key,
        );
      } catch {
        plaintext = undefined;
      }
    }
    if (!plaintext) {
      if (records.length === 0 && end <= bytes.length)
        throw new WrongSecret(
          "the passphrase does not open this bridge's state; type the one set when the bridge was linked",
        );
      // Only the last record may be torn; anything after a bad record means the file was damaged.
      if (end < bytes.length)
        throw new MalformedInput(
          `${path} is damaged at byte ${offset}: restore it from a backup or link the bridge again`,
        );
      truncateSync(path, offset);
      break;
    }
    records.push(plaintext);
    offset = end;
  }
  return records;
}

/** Writes a new file holding `records` (replacing any at `path` atomically) and returns it open for appending. */
export function createJournal(path: string, key: Uint8Array, records: readonly Uint8Array[]): JournalFile {
  const fileId = sodium().randombytes_buf(FILE_ID_BYTES);
  const temporary = `${path}.new`;
  const fd = openSync(temporary, "w", 0o600);
  try {
    writeSync(fd, concat(MAGIC, fileId, ...records.map((r, i) => seal(key, fileId, i, r))));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  syncDirectory(path);
  return new JournalFile(path, key, fileId, records.length);
}

export class JournalFile {
  private fd: number | undefined;

  constructor(
    readonly path: string,
    private readonly key: Uint8Array,
    private readonly fileId: Uint8Array,
    private count: number,
  ) {
    this.fd = openSync(path, "a", 0o600);
  }

  /** Records in the file, the compacted state included. */
  get records(): number {
    return this.count;
  }

  /** Appends one record and waits for the disk: when it returns, the record survives a crash. */
  append(plaintext: Uint8Array): void {
    if (this.fd === undefined) throw new MalformedInput("the bridge's state file is closed");
    writeSync(this.fd, seal(this.key, this.fileId, this.count, plaintext));
    fdatasyncSync(this.fd);
    this.count++;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
