// Hostile requests for any route of the worker: bad ids in the path, out-of-range query strings,
// wrong content types, deep or invalid JSON, invalid UTF-8, binary frames with huge counts, bad
// base64url, oversized bodies. Fixed cases cover every category on every route; the fast-check
// arbitraries add random and mutated variants of valid bodies.
import fc from "fast-check";
import { ByteWriter, concat, fromBase64Url, toBase64Url, utf8 } from "../../shared/bytes.js";
import { MAX_BATCH_BYTES } from "../../shared/syncFrames.js";
import { JSON_BODY_LIMIT } from "../../worker/middleware.js";
import { applyEdits, byteEdits } from "../helpers/byteEdits.js";

export type Auth = "patient" | "grantee" | "stranger" | "none" | "garbage" | "expired";
export type BodyKind = "binary" | "json" | "none";

export interface Route {
  readonly method: string;
  readonly path: string;
  readonly params: readonly string[];
  readonly body: BodyKind;
}

export interface HostileRequest {
  readonly label: string;
  readonly method: string;
  /** Raw (already encoded) value for each path parameter; missing ones take the route's valid value. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: string;
  readonly auth: Auth;
  readonly contentType: string | null;
  readonly body: Uint8Array | string | null;
  /** Send the body as a stream of this many bytes, without a Content-Length. */
  readonly streamBytes?: number;
  readonly upgrade?: boolean;
}

/** Templates of valid bodies, so mutations reach past the JSON and frame parsers into the objects. */
export type ValidBody = Uint8Array | Record<string, unknown> | null;

export function routeBody(method: string, path: string): BodyKind {
  if (method === "GET" || method === "HEAD") return "none";
  return /\/(envelopes|compactions)$/.test(path) ? "binary" : "json";
}

const HOSTILE_IDS = [
  "",
  "A".repeat(32),
  "a".repeat(31),
  "a".repeat(33),
  "g".repeat(32),
  "..",
  "%2e%2e",
  "%00",
  "%ff%fe",
  encodeURIComponent("é".repeat(16)),
  "a".repeat(5000),
  "null",
  "-1",
  `%20${"a".repeat(32)}`,
];

const QUERY_KEYS = ["after", "limit", "maxBytes", "tags", "fromHour", "toHour", "token"];
const QUERY_VALUES = [
  "-1",
  "0",
  "1e400",
  "NaN",
  "0x10",
  "99999999999999999999",
  "1.5",
  "",
  "20001",
  "16777217",
  "%ff",
  "a".repeat(3000),
];

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/octet-stream",
  "multipart/form-data; boundary=x",
  "application/x-www-form-urlencoded",
  null,
];

const JSON_KEYS = [
  "bundle",
  "handle",
  "accountId",
  "nonce",
  "signature",
  "grant",
  "scopeTag",
  "generation",
  "blob",
  "kit",
  "keyRing",
  "message",
  "expiresAt",
  "revision",
  "__proto__",
  "constructor",
];

/** Values that are wrong in type, range, encoding or size for the fields above. */
const HOSTILE_VALUES: unknown[] = [
  null,
  true,
  -1,
  2 ** 53,
  1e308,
  0.5,
  "",
  "!!!",
  "AAA=",
  "A",
  "a".repeat(400_001),
  "é",
  [],
  {},
  [[[[[]]]]],
  { nested: { deeper: "x" } },
  "0".repeat(64),
  "Z".repeat(32),
];

function deepJson(depth: number, objects: boolean): string {
  return objects ? `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}` : `${"[".repeat(depth)}${"]".repeat(depth)}`;
}

/** A JSON text with a lone continuation byte and an overlong encoding inside a string. */
function invalidUtf8Json(): Uint8Array {
  return concat(
    utf8('{"handle":"ab'),
    Uint8Array.of(0x80, 0xc0, 0xaf, 0xff),
    utf8('c","bundle":"'),
    Uint8Array.of(0xed, 0xa0, 0x80),
    utf8('"}'),
  );
}

/** Frames whose counts or lengths claim far more than the body holds. */
function hugeCountFrames(): Uint8Array[] {
  return [
    new ByteWriter().u32(0xffffffff).finish(),
    new ByteWriter().u32(1).u32(0xffffffff).finish(),
    new ByteWriter().u32(256).u32(0).u32(0).finish(),
    new ByteWriter().u32(4096).finish(),
    concat(new ByteWriter().u32(1).finish(), new Uint8Array(16), new ByteWriter().u32(0xfffffff0).finish()),
  ];
}

function oversized(kind: BodyKind): Uint8Array {
  if (kind === "binary") return new Uint8Array(MAX_BATCH_BYTES + 1);
  return utf8(JSON.stringify({ bundle: "A".repeat(JSON_BODY_LIMIT) }));
}

/** Fields of a valid JSON template replaced one at a time by hostile values and bad base64url. */
function fieldMutations(valid: Record<string, unknown>): Record<string, unknown>[] {
  return Object.keys(valid).flatMap((key) => HOSTILE_VALUES.map((value) => ({ ...valid, [key]: value })));
}

function requestOf(label: string, route: Route, parts: Partial<HostileRequest>): HostileRequest {
  return {
    label,
    method: route.method,
    params: {},
    query: "",
    auth: "patient",
    contentType:
      route.body === "binary" ? "application/octet-stream" : route.body === "json" ? "application/json" : null,
    body: null,
    ...parts,
  };
}

/** Every category of hostile input, deterministically, for one route. */
export function fixedCases(route: Route, valid: ValidBody): HostileRequest[] {
  const cases: HostileRequest[] = [];
  const validBytes = valid instanceof Uint8Array ? valid : valid ? utf8(JSON.stringify(valid)) : null;
  for (const param of route.params)
    for (const id of HOSTILE_IDS)
      cases.push(requestOf(`bad :${param} "${id.slice(0, 40)}"`, route, { params: { [param]: id }, body: validBytes }));
  if (route.body === "none") {
    for (const key of QUERY_KEYS)
      for (const value of QUERY_VALUES)
        cases.push(requestOf(`query ${key}=${value.slice(0, 20)}`, route, { query: `${key}=${value}` }));
    cases.push(
      requestOf("17 tags", route, {
        query: `tags=${Array.from({ length: 17 }, (_, i) => i.toString(16).padStart(32, "0")).join(",")}`,
      }),
    );
    cases.push(requestOf("websocket upgrade without a session", route, { auth: "none", upgrade: true }));
  } else {
    cases.push(requestOf("oversized body", route, { body: oversized(route.body) }));
    cases.push(
      requestOf("oversized streamed body without Content-Length", route, {
        body: null,
        streamBytes: (route.body === "binary" ? MAX_BATCH_BYTES : JSON_BODY_LIMIT) + 1,
      }),
    );
    for (const objects of [false, true])
      cases.push(
        requestOf(`JSON nested 100000 deep (${objects ? "objects" : "arrays"})`, route, {
          body: deepJson(100_000, objects),
          contentType: "application/json",
        }),
      );
    cases.push(requestOf("invalid UTF-8 in JSON", route, { body: invalidUtf8Json(), contentType: "application/json" }));
    for (const contentType of CONTENT_TYPES)
      cases.push(requestOf(`valid body as ${contentType}`, route, { body: validBytes, contentType }));
    for (const frame of hugeCountFrames())
      cases.push(requestOf("frame with a huge count", route, { body: frame, contentType: "application/octet-stream" }));
    cases.push(requestOf("empty body", route, { body: new Uint8Array(0) }));
    if (valid && !(valid instanceof Uint8Array))
      for (const mutated of fieldMutations(valid))
        cases.push(
          requestOf(`field mutation ${JSON.stringify(mutated).slice(0, 60)}`, route, { body: JSON.stringify(mutated) }),
        );
    if (valid instanceof Uint8Array)
      for (let n = 0; n < valid.length; n += Math.max(1, valid.length >> 4))
        cases.push(requestOf(`truncated to ${n} bytes`, route, { body: valid.slice(0, n) }));
  }
  for (const auth of ["none", "garbage", "expired", "stranger"] as const)
    cases.push(requestOf(`valid request, auth ${auth}`, route, { auth, body: validBytes }));
  cases.push(requestOf("unknown method", route, { method: "PATCH", body: validBytes }));
  return cases;
}

// --- random and mutated requests --------------------------------------------------------------

const edits = byteEdits(6);

/** A base64url field decoded, edited as bytes and re-encoded: valid encoding, hostile content. */
function mutatedBase64Field(valid: Record<string, unknown>): fc.Arbitrary<string> | null {
  const fields = Object.entries(valid).filter(([, v]) => typeof v === "string" && /^[A-Za-z0-9_-]{16,}$/.test(v));
  if (fields.length === 0) return null;
  return fc
    .tuple(fc.constantFrom(...fields), edits)
    .map(([[key, value], ops]) =>
      JSON.stringify({ ...valid, [key]: toBase64Url(applyEdits(fromBase64Url(value as string), ops)) }),
    );
}

function bodyArbitrary(route: Route, valid: ValidBody): fc.Arbitrary<Uint8Array | string | null> {
  if (route.body === "none") return fc.constant(null);
  const generic: fc.Arbitrary<Uint8Array | string>[] = [
    fc.uint8Array({ maxLength: 2000 }),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc
      .dictionary(fc.constantFrom(...JSON_KEYS), fc.oneof(fc.constantFrom(...HOSTILE_VALUES), fc.jsonValue()), {
        maxKeys: 5,
      })
      .map((v) => JSON.stringify(v)),
    fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.boolean()).map(([depth, objects]) => deepJson(depth, objects)),
    fc.constantFrom(...hugeCountFrames()),
  ];
  if (valid instanceof Uint8Array)
    generic.push(
      edits.map((ops) => applyEdits(valid, ops)),
      edits.map((ops) => applyEdits(valid, ops)),
    );
  else if (valid && Object.keys(valid).length > 0) {
    generic.push(fc.constantFrom(...fieldMutations(valid)).map((v) => JSON.stringify(v)));
    const base64 = mutatedBase64Field(valid);
    if (base64) generic.push(base64, base64);
  }
  return fc.oneof(...generic);
}

function paramArbitrary(): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    fc.constantFrom(...HOSTILE_IDS),
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
    fc
      .uint8Array({ minLength: 16, maxLength: 16 })
      .map((b) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("")),
  );
}

function queryArbitrary(): fc.Arbitrary<string> {
  const value = fc.oneof(
    fc.constantFrom(...QUERY_VALUES),
    fc.integer().map(String),
    fc.string({ maxLength: 30 }).map(encodeURIComponent),
  );
  return fc
    .array(fc.tuple(fc.constantFrom(...QUERY_KEYS), value), { maxLength: 4 })
    .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join("&"));
}

/** Random requests for one route: mostly the route's own method and a plausible session. */
export function requestArbitrary(route: Route, valid: ValidBody): fc.Arbitrary<HostileRequest> {
  return fc
    .record({
      params: fc.tuple(...route.params.map(() => paramArbitrary())),
      query: route.body === "none" ? queryArbitrary() : fc.oneof(fc.constant(""), queryArbitrary()),
      auth: fc.constantFrom<Auth>("patient", "patient", "grantee", "stranger", "none", "garbage", "expired"),
      contentType: fc.oneof({ weight: 3, arbitrary: fc.constant("default") }, fc.constantFrom(...CONTENT_TYPES)),
      body: bodyArbitrary(route, valid),
      upgrade: fc.boolean(),
    })
    .map(({ params, query, auth, contentType, body, upgrade }) => {
      const chosen = Object.fromEntries(
        route.params.flatMap((name, i) => (params[i] === undefined ? [] : [[name, params[i]!]])),
      );
      const base = requestOf("random", route, {
        params: chosen,
        query,
        auth,
        body,
        upgrade: upgrade && route.body === "none",
      });
      return contentType === "default" ? base : { ...base, contentType };
    });
}
