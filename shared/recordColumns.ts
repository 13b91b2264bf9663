// The column layout of each record type, read off the record schemas in records.ts, so the packed
// format can never disagree with what a record may hold: a field added there gets a column here, and
// its bounds are the schema's own. Numbers keep their range, enumerations their options, strings
// and structured values (schedules, identifier maps) their whole schema, checked once per distinct
// value when a segment is decoded.
import type { z } from "zod";
import { RECORD_TYPES, recordSchema, type RecordType } from "./records.js";

export type Field =
  | {
      readonly kind: "int";
      readonly key: string;
      readonly optional: boolean;
      readonly min: number;
      readonly max: number;
    }
  | {
      readonly kind: "num";
      readonly key: string;
      readonly optional: boolean;
      readonly min: number;
      readonly max: number;
    }
  | { readonly kind: "enum"; readonly key: string; readonly optional: boolean; readonly options: readonly string[] }
  | { readonly kind: "bool"; readonly key: string; readonly optional: boolean }
  | { readonly kind: "str"; readonly key: string; readonly optional: boolean; readonly schema: z.ZodType }
  | { readonly kind: "json"; readonly key: string; readonly optional: boolean; readonly schema: z.ZodType }
  | { readonly kind: "obj"; readonly key: string; readonly optional: boolean; readonly fields: readonly Field[] };

/** The base fields with encodings of their own (time as deltas, id and deviceTime against the time). */
export const SPECIAL_KEYS = ["id", "time", "type", "deviceTime", "body"] as const;

export interface TypeLayout {
  readonly type: RecordType;
  /** Base fields other than SPECIAL_KEYS, in schema order. */
  readonly base: readonly Field[];
  readonly body: readonly Field[];
  readonly deviceTime: z.ZodType;
  readonly id: z.ZodType;
  /** Optional base keys (deviceTime included) in the schema's order, between time and type. */
  readonly keyOrder: readonly string[];
}

// Zod 4 exposes each schema's kind and bounds; these are the parts read here.
interface Introspected {
  readonly type: string;
  readonly shape?: Record<string, Introspected>;
  readonly options?: readonly string[];
  readonly minValue?: number | null;
  readonly maxValue?: number | null;
  readonly isInt?: boolean;
  readonly value?: unknown;
  unwrap?(): Introspected;
}

function fieldOf(key: string, schema: Introspected): Field {
  const optional = schema.type === "optional";
  const inner = optional ? schema.unwrap!() : schema;
  switch (inner.type) {
    case "number": {
      const min = inner.minValue ?? -Number.MAX_VALUE;
      const max = inner.maxValue ?? Number.MAX_VALUE;
      return inner.isInt
        ? {
            kind: "int",
            key,
            optional,
            min: Math.max(min, Number.MIN_SAFE_INTEGER),
            max: Math.min(max, Number.MAX_SAFE_INTEGER),
          }
        : { kind: "num", key, optional, min, max };
    }
    case "enum":
      return { kind: "enum", key, optional, options: inner.options! };
    case "boolean":
      return { kind: "bool", key, optional };
    case "string":
      return { kind: "str", key, optional, schema: inner as unknown as z.ZodType };
    case "object":
      return { kind: "obj", key, optional, fields: Object.entries(inner.shape!).map(([k, v]) => fieldOf(k, v)) };
    default:
      return { kind: "json", key, optional, schema: inner as unknown as z.ZodType };
  }
}

function layoutOf(type: RecordType): TypeLayout {
  const options = (recordSchema as unknown as { options: Introspected[] }).options;
  const shape = options.find((o) => o.shape!.type!.value === type)!.shape!;
  const base = Object.entries(shape)
    .filter(([key]) => !(SPECIAL_KEYS as readonly string[]).includes(key))
    .map(([key, schema]) => fieldOf(key, schema));
  const body = fieldOf("body", shape.body!);
  if (body.kind !== "obj") throw new Error(`the body of ${type} records is not an object`);
  const deviceTime = shape.deviceTime!;
  const keyOrder = Object.keys(shape).filter((key) => !["id", "time", "type", "body"].includes(key));
  return {
    type,
    base,
    body: body.fields,
    deviceTime: (deviceTime.unwrap ? deviceTime.unwrap() : deviceTime) as unknown as z.ZodType,
    id: shape.id as unknown as z.ZodType,
    keyOrder,
  };
}

const baseShape = (recordSchema as unknown as { options: Introspected[] }).options[0]!.shape!;
/** Bounds of the special fields, from the schema like everything else. */
export const TIME_MAX: number = baseShape.time!.maxValue!;
export const ID_MAX: number = (baseShape.id as unknown as { maxLength: number }).maxLength;

export const LAYOUTS: ReadonlyMap<RecordType, TypeLayout> = new Map(RECORD_TYPES.map((t) => [t, layoutOf(t)]));

/** Device readings: written once and never changed, so they are stored packed, not as Yjs. */
export const PACKED_TYPES: ReadonlySet<RecordType> = new Set([
  "cgm",
  "bg",
  "basal",
  "bolus",
  "wizard",
  "insulinTotal",
  "deviceEvent",
]);
