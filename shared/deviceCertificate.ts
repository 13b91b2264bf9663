// A device certificate: the account identity key vouches that one device's own keys belong to the
// account. Every device signs with its own Ed25519 key (envelopes, heads, key rings) and receives
// the key ring under its own X25519 key, so one device can be cut off without a new account.
//
//   body: magic "STDC" ‖ version u8 ‖ accountId 16 ‖ deviceId 16 ‖ signKey 32 (Ed25519)
//         ‖ boxKey 32 (X25519) ‖ createdAt u64 (ms) ‖ u32 len ‖ name (UTF-8, 1..64 bytes)
//   signature 64: Ed25519 by the account identity key over "steward/device-certificate/v1" ‖ 0 ‖ body
//
// Pure codec: the server verifies with WebCrypto, clients with libsodium.
import { ByteReader, ByteWriter, expectMagic, fromUtf8, utf8 } from "./bytes.js";
import { MalformedInput, UnsupportedVersion } from "./errors.js";
import { signedMessage } from "./signing.js";

export const DEVICE_CERTIFICATE_MAGIC = "STDC";
export const DEVICE_CERTIFICATE_VERSION = 1;
export const MAX_DEVICE_NAME_BYTES = 64;
export const MAX_DEVICE_CERTIFICATE_BYTES = 4 + 1 + 16 + 16 + 32 + 32 + 8 + 4 + MAX_DEVICE_NAME_BYTES + 64;

export interface DeviceCertificate {
  readonly accountId: Uint8Array;
  readonly deviceId: Uint8Array;
  readonly signKey: Uint8Array;
  readonly boxKey: Uint8Array;
  readonly createdAt: number;
  /** What the person called the device ("Phone", "Laptop"), shown in the device list. */
  readonly name: string;
  readonly signature: Uint8Array;
}

export type UnsignedDeviceCertificate = Omit<DeviceCertificate, "signature">;

/** A device name as stored: trimmed, 1 to 64 bytes of UTF-8 without control characters. */
export function checkDeviceName(name: string): string {
  const trimmed = name.trim();
  const bytes = utf8(trimmed).length;
  if (bytes === 0 || bytes > MAX_DEVICE_NAME_BYTES || /\p{Cc}/u.test(trimmed)) {
    throw new MalformedInput(`a device name is 1 to ${MAX_DEVICE_NAME_BYTES} bytes of text without control characters`);
  }
  return trimmed;
}

function body(cert: UnsignedDeviceCertificate): Uint8Array {
  return new ByteWriter(MAX_DEVICE_CERTIFICATE_BYTES)
    .raw(utf8(DEVICE_CERTIFICATE_MAGIC))
    .u8(DEVICE_CERTIFICATE_VERSION)
    .fixed(cert.accountId, 16, "accountId")
    .fixed(cert.deviceId, 16, "deviceId")
    .fixed(cert.signKey, 32, "signKey")
    .fixed(cert.boxKey, 32, "boxKey")
    .u64(cert.createdAt)
    .bytes(utf8(checkDeviceName(cert.name)))
    .finish();
}

export function deviceCertificateSignedBytes(cert: UnsignedDeviceCertificate): Uint8Array {
  return signedMessage("deviceCertificate", body(cert));
}

export function encodeDeviceCertificate(cert: DeviceCertificate): Uint8Array {
  return new ByteWriter(MAX_DEVICE_CERTIFICATE_BYTES).raw(body(cert)).fixed(cert.signature, 64, "signature").finish();
}

/** Decodes a certificate's structure; the identity signature is checked by the caller. */
export function decodeDeviceCertificate(bytes: Uint8Array): DeviceCertificate {
  if (bytes.length > MAX_DEVICE_CERTIFICATE_BYTES) throw new MalformedInput("device certificate is too long");
  const reader = new ByteReader(bytes, "device certificate");
  expectMagic(reader, DEVICE_CERTIFICATE_MAGIC, "device certificate");
  const version = reader.u8("version");
  if (version !== DEVICE_CERTIFICATE_VERSION)
    throw new UnsupportedVersion(`device certificate version ${version} is not supported`);
  const cert = {
    accountId: reader.fixed(16, "accountId"),
    deviceId: reader.fixed(16, "deviceId"),
    signKey: reader.fixed(32, "signKey"),
    boxKey: reader.fixed(32, "boxKey"),
    createdAt: reader.u64("createdAt"),
    name: fromUtf8(reader.bytes("name", MAX_DEVICE_NAME_BYTES), "device name"),
    signature: reader.fixed(64, "signature"),
  };
  reader.end();
  if (checkDeviceName(cert.name) !== cert.name) throw new MalformedInput("device name is not in its canonical form");
  return cert;
}
