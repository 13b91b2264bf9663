// Packed records: a list of records stored as columns, so a regular CGM stream costs a few bytes a
// reading before encryption. docs/protocol.md §6B describes every byte; vectors/packed.json pins it.
//
//   segment := varint groups ‖ group*            (one group per record type, in RECORD_TYPES order)
//   group   := u8 type ‖ varint n ‖ time ‖ id ‖ deviceTime ‖ base fields ‖ body fields
//
// Records of a group are sorted by (time, id). Times are delta-of-delta varints; every other field
// is a state column (absent, present, escaped) and value columns: integers as zigzag deltas, decimal
// numbers as a scale and a zigzag mantissa delta (float64 when not a short decimal), enumerations as
// their index, strings and structured values through a dictionary. An id is a dictionary template in
// which the record's time and deviceTime may stand for themselves; a deviceTime is its offset in
// seconds from the UTC time shifted by timezoneOffset. Every column of integers is written plainly or
// as runs, whichever is shorter. Decoding checks every value against the record schema's bounds, so
// what comes out is a valid record.
import { ByteReader, ByteWriter, fromUtf8, utf8 } from "./bytes.js";
import { MalformedInput } from "./errors.js";
import { ID_MAX, LAYOUTS, TIME_MAX, type Field, type TypeLayout } from "./recordColumns.js";
import { RECORD_TYPES, type StewardRecord } from "./records.js";

const STATE_ABSENT = 0;
const STATE_PRESENT = 1;
const STATE_ESCAPED = 2;
const MODE_PLAIN = 0;
const MODE_RUNS = 1;
/** Decimal places tried before a number is stored as float64. */
const MAX_SCALE = 6;
const TIME_MARK = "\u0001";
const DEVICE_TIME_MARK = "\u0002";
const MARKS = new RegExp(`(${TIME_MARK}|${DEVICE_TIME_MARK})`);
const WALL_CLOCK = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
const MAX_STRING_BYTES = 1 << 20;
/** More records than a block of the highest level could hold is a malformed segment. */
export const MAX_SEGMENT_RECORDS = 1 << 22;

type Rec = Record<string, unknown>;

const zigzag = (v: number): number => (v >= 0 ? 2 * v : -2 * v - 1);
const unzigzag = (v: number): number => (v % 2 === 0 ? v / 2 : -(v + 1) / 2);

function checkSafe(v: number, what: string): number {
  if (!Number.isSafeInteger(v)) throw new MalformedInput(`${what} is out of range`);
  return v;
}

/** A column of unsigned integers, plain or as runs. */
function writeInts(w: ByteWriter, values: readonly number[]): void {
  const runs = countRuns(values);
  // Runs cost a length and a value each; plain costs one value per entry.
  if (runs * 2 < values.length) {
    w.u8(MODE_RUNS).varint(runs);
    for (let i = 0; i < values.length; ) {
      let j = i + 1;
      while (j < values.length && values[j] === values[i]) j++;
      w.varint(j - i).varint(values[i]!);
      i = j;
    }
  } else {
    w.u8(MODE_PLAIN);
    for (const v of values) w.varint(v);
  }
}

/** Runs are written exactly when they are shorter: every column has one encoding. */
function countRuns(values: readonly number[]): number {
  let runs = 0;
  for (let i = 0; i < values.length; i++) if (i === 0 || values[i] !== values[i - 1]) runs++;
  return runs;
}

function readInts(r: ByteReader, count: number, what: string): number[] {
  const mode = r.u8(`${what} mode`);
  const out = new Array<number>(count);
  if (mode === MODE_PLAIN) {
    for (let i = 0; i < count; i++) out[i] = r.varint(what);
    if (countRuns(out) * 2 < count) throw new MalformedInput(`${what}: not in its shortest form`);
    return out;
  }
  if (mode !== MODE_RUNS) throw new MalformedInput(`${what}: unknown column mode ${mode}`);
  const runs = r.varint(`${what} runs`);
  if (runs * 2 >= count) throw new MalformedInput(`${what}: not in its shortest form`);
  let at = 0;
  let previous = -1;
  for (let k = 0; k < runs; k++) {
    const length = r.varint(`${what} run length`);
    const value = r.varint(what);
    if (length === 0 || at + length > count || value === previous)
      throw new MalformedInput(`${what}: runs do not add up to ${count} values`);
    out.fill(value, at, at + length);
    at += length;
    previous = value;
  }
  if (at !== count) throw new MalformedInput(`${what}: runs do not add up to ${count} values`);
  return out;
}

function writeDictionary(w: ByteWriter, texts: readonly string[]): number[] {
  const index = new Map<string, number>();
  const order: string[] = [];
  const indexes = texts.map((t) => {
    let i = index.get(t);
    if (i === undefined) {
      i = order.length;
      index.set(t, i);
      order.push(t);
    }
    return i;
  });
  w.varint(order.length);
  for (const t of order) w.varBytes(utf8(t));
  writeInts(w, indexes);
  return indexes;
}

function readDictionary(r: ByteReader, count: number, what: string, check: (text: string) => unknown): unknown[] {
  const size = r.varint(`${what} dictionary`);
  if (size > count) throw new MalformedInput(`${what}: dictionary larger than its column`);
  const entries: unknown[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < size; i++) {
    const text = fromUtf8(r.varView(what, MAX_STRING_BYTES), what);
    if (seen.has(text)) throw new MalformedInput(`${what}: dictionary holds an entry twice`);
    seen.add(text);
    entries.push(check(text));
  }
  // Entries are numbered in order of first use, and each is used: one encoding per column.
  let next = 0;
  const values: unknown[] = readInts(r, count, what);
  for (let k = 0; k < count; k++) {
    const i = values[k] as number;
    if (i > next || i >= size) throw new MalformedInput(`${what}: dictionary index out of order or range`);
    if (i === next) next++;
    values[k] = entries[i];
  }
  if (next !== size) throw new MalformedInput(`${what}: dictionary entry never used`);
  return values;
}

function decimal(v: number): { scale: number; mantissa: number } | undefined {
  if (Object.is(v, -0)) return undefined;
  for (let scale = 0; scale <= MAX_SCALE; scale++) {
    const mantissa = Math.round(v * 10 ** scale);
    if (Number.isSafeInteger(mantissa) && mantissa / 10 ** scale === v) return { scale, mantissa };
  }
  return undefined;
}

// --- fields ----------------------------------------------------------------------------------

function writeField(w: ByteWriter, field: Field, values: readonly unknown[]): void {
  const present = values.filter((v) => v !== undefined);
  if (field.kind === "num") {
    writeNumbers(w, values, present as number[]);
    return;
  }
  writeInts(
    w,
    values.map((v) => (v === undefined ? STATE_ABSENT : STATE_PRESENT)),
  );
  switch (field.kind) {
    case "int": {
      let last = 0;
      writeInts(
        w,
        present.map((v) => {
          const d = zigzag((v as number) - last);
          last = v as number;
          return d;
        }),
      );
      return;
    }
    case "enum":
      writeInts(
        w,
        present.map((v) => field.options.indexOf(v as string)),
      );
      return;
    case "bool":
      writeInts(
        w,
        present.map((v) => (v ? 1 : 0)),
      );
      return;
    case "str":
      writeDictionary(w, present as string[]);
      return;
    case "json":
      writeDictionary(
        w,
        present.map((v) => JSON.stringify(v)),
      );
      return;
    case "obj":
      for (const child of field.fields)
        writeField(
          w,
          child,
          present.map((v) => (v as Rec)[child.key]),
        );
      return;
  }
}

/** Numbers: states (a short decimal, or escaped to float64), then scales, mantissa deltas, float64s. */
function writeNumbers(w: ByteWriter, values: readonly unknown[], present: readonly number[]): void {
  const decimals = present.map(decimal);
  let p = 0;
  writeInts(
    w,
    values.map((v) => (v === undefined ? STATE_ABSENT : decimals[p++] ? STATE_PRESENT : STATE_ESCAPED)),
  );
  const exact = decimals.filter((d) => d !== undefined);
  writeInts(
    w,
    exact.map((d) => d.scale),
  );
  let last = 0;
  writeInts(
    w,
    exact.map((d) => {
      const delta = zigzag(d.mantissa - last);
      last = d.mantissa;
      return delta;
    }),
  );
  for (const [i, v] of present.entries()) {
    if (decimals[i]) continue;
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, v);
    w.raw(bytes);
  }
}

function readField(r: ByteReader, field: Field, count: number, what: string): unknown[] {
  const name = `${what}.${field.key}`;
  const states = readInts(r, count, `${name} states`);
  let present = 0;
  for (const s of states) {
    if (s === STATE_ABSENT) {
      if (!field.optional) throw new MalformedInput(`${name} is required`);
    } else if (s === STATE_PRESENT || (s === STATE_ESCAPED && field.kind === "num")) present++;
    else throw new MalformedInput(`${name}: unknown state ${s}`);
  }
  const values = readPresent(r, field, states, present, name);
  if (present === count) return values;
  const out = new Array<unknown>(count);
  for (let i = 0, j = 0; i < count; i++) out[i] = states[i] === STATE_ABSENT ? undefined : values[j++];
  return out;
}

function readPresent(r: ByteReader, field: Field, states: readonly number[], present: number, name: string): unknown[] {
  switch (field.kind) {
    case "int": {
      const values = readInts(r, present, name);
      let last = 0;
      for (let i = 0; i < present; i++) {
        last = checkSafe(last + unzigzag(values[i]!), name);
        if (last < field.min || last > field.max)
          throw new MalformedInput(`${name} ${last} is outside ${field.min}…${field.max}`);
        values[i] = last;
      }
      return values;
    }
    case "num":
      return readNumbers(r, field, states, present, name);
    case "enum": {
      const values: unknown[] = readInts(r, present, name);
      for (let k = 0; k < present; k++) {
        const option = field.options[values[k] as number];
        if (option === undefined) throw new MalformedInput(`${name}: option ${values[k]} is unknown`);
        values[k] = option;
      }
      return values;
    }
    case "bool": {
      const values: unknown[] = readInts(r, present, name);
      for (let k = 0; k < present; k++) {
        if ((values[k] as number) > 1) throw new MalformedInput(`${name} is not a boolean`);
        values[k] = values[k] === 1;
      }
      return values;
    }
    case "str":
      return readDictionary(r, present, name, (text) => parsed(field.schema, text, name));
    case "json":
      return readDictionary(r, present, name, (text) => {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          throw new MalformedInput(`${name} is not JSON`);
        }
        return parsed(field.schema, value, name);
      });
    case "obj": {
      const children = field.fields.map((child) => readField(r, child, present, name));
      return Array.from({ length: present }, (_, i) => {
        const obj: Rec = {};
        field.fields.forEach((child, c) => {
          const v = children[c]![i];
          if (v !== undefined) obj[child.key] = v;
        });
        return obj;
      });
    }
  }
}

function parsed(
  schema: { safeParse(v: unknown): { success: boolean; data?: unknown } },
  value: unknown,
  name: string,
): unknown {
  const result = schema.safeParse(value);
  if (!result.success) throw new MalformedInput(`${name} does not hold a valid value`);
  return result.data;
}

function readNumbers(
  r: ByteReader,
  field: Extract<Field, { kind: "num" }>,
  states: readonly number[],
  present: number,
  name: string,
): number[] {
  const escaped = states.filter((s) => s === STATE_ESCAPED).length;
  const decimals = present - escaped;
  const scales = readInts(r, decimals, `${name} scales`);
  const mantissas = readInts(r, decimals, name);
  for (let i = 0, last = 0; i < decimals; i++) mantissas[i] = last = checkSafe(last + unzigzag(mantissas[i]!), name);
  const floats = Array.from({ length: escaped }, () => new DataView(r.fixed(8, name).buffer).getFloat64(0));
  const out = new Array<number>(present);
  for (let i = 0, d = 0, f = 0, o = 0; i < states.length; i++) {
    if (states[i] === STATE_ABSENT) continue;
    let v: number;
    if (states[i] === STATE_ESCAPED) {
      v = floats[f++]!;
      if (decimal(v)) throw new MalformedInput(`${name}: a short decimal stored as float64`);
    } else {
      const scale = scales[d]!;
      v = mantissas[d++]! / 10 ** scale;
      if (decimal(v)?.scale !== scale) throw new MalformedInput(`${name}: scale ${scale} is not the shortest`);
    }
    if (!Number.isFinite(v) || v < field.min || v > field.max)
      throw new MalformedInput(`${name} ${v} is outside ${field.min}…${field.max}`);
    out[o++] = v;
  }
  return out;
}

// --- records ---------------------------------------------------------------------------------

function byTimeThenId(a: StewardRecord, b: StewardRecord): number {
  return a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The wall clock the device showed, as an offset from the UTC time shifted by timezoneOffset. */
function wallClockBase(time: number, timezoneOffset: number | undefined): number {
  return Math.floor((time + (timezoneOffset ?? 0) * 60_000) / 1000) * 1000;
}

function wallClockDelta(record: Rec, text: string): number | undefined {
  if (!WALL_CLOCK.test(text)) return undefined;
  const ms = Date.parse(`${text}Z`);
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 19) !== text) return undefined;
  return (ms - wallClockBase(record.time as number, record.timezoneOffset as number | undefined)) / 1000;
}

function wallClockText(time: number, timezoneOffset: number | undefined, delta: number): string {
  const ms = wallClockBase(time, timezoneOffset) + delta * 1000;
  const text = Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString().slice(0, 19) : "";
  if (!WALL_CLOCK.test(text)) throw new MalformedInput("packed deviceTime is out of range");
  return text;
}

/**
 * The template a writer stores for this id before checking that it rebuilds the id: the time and
 * deviceTime in it replaced by their marks, or the id itself; undefined when the id holds a mark.
 */
function templateCandidate(id: string, timeText: string, deviceTime: string | undefined): string | undefined {
  if (id.includes(TIME_MARK) || id.includes(DEVICE_TIME_MARK)) return undefined;
  const hasTime = id.includes(timeText);
  const hasDeviceTime = deviceTime !== undefined && deviceTime !== "" && id.includes(deviceTime);
  if (!hasTime && !hasDeviceTime) return id;
  const template = hasTime ? id.replaceAll(timeText, TIME_MARK) : id;
  return hasDeviceTime ? template.replaceAll(deviceTime, DEVICE_TIME_MARK) : template;
}

function idTemplate(record: Rec): string | undefined {
  const id = record.id as string;
  const timeText = String(record.time);
  const deviceTime = record.deviceTime as string | undefined;
  const template = templateCandidate(id, timeText, deviceTime);
  return template !== undefined && cachedBuilder(template)(timeText, deviceTime) === id ? template : undefined;
}

const builders = new Map<string, ReturnType<typeof idBuilder>>();

function cachedBuilder(template: string): ReturnType<typeof idBuilder> {
  let build = builders.get(template);
  if (!build) {
    if (builders.size > 1024) builders.clear();
    builders.set(template, (build = idBuilder(template)));
  }
  return build;
}

/** A template cut at its marks once, then joined per record (a segment repeats one template). */
function idBuilder(template: string): (timeText: string, deviceTime: string | undefined) => string {
  if (!template.includes(TIME_MARK) && !template.includes(DEVICE_TIME_MARK)) return () => template;
  const parts = template.split(MARKS);
  return (timeText, deviceTime) => {
    let id = "";
    for (const part of parts)
      id += part === TIME_MARK ? timeText : part === DEVICE_TIME_MARK ? (deviceTime ?? DEVICE_TIME_MARK) : part;
    return id;
  };
}

function writeGroup(w: ByteWriter, layout: TypeLayout, group: readonly Rec[]): void {
  w.u8(RECORD_TYPES.indexOf(layout.type)).varint(group.length);
  let previous = 0;
  let delta = 0;
  writeInts(
    w,
    group.map((r, i) => {
      const time = r.time as number;
      if (i === 0) {
        previous = time;
        return time;
      }
      const d = time - previous;
      const v = zigzag(d - delta);
      previous = time;
      delta = d;
      return v;
    }),
  );
  for (const field of layout.base)
    writeField(
      w,
      field,
      group.map((r) => r[field.key]),
    );
  // deviceTime: absent, an offset in seconds, or (escaped) any other text.
  const wall = group.map((r) => (r.deviceTime === undefined ? undefined : wallClockDelta(r, r.deviceTime as string)));
  writeInts(
    w,
    group.map((r, i) =>
      r.deviceTime === undefined ? STATE_ABSENT : wall[i] === undefined ? STATE_ESCAPED : STATE_PRESENT,
    ),
  );
  writeInts(w, wall.filter((d): d is number => d !== undefined).map(zigzag));
  writeDictionary(
    w,
    group.filter((r, i) => r.deviceTime !== undefined && wall[i] === undefined).map((r) => r.deviceTime as string),
  );
  // id: a template (state present) or the id itself (escaped), both through one dictionary.
  const templates = group.map(idTemplate);
  writeInts(
    w,
    templates.map((t) => (t === undefined ? STATE_ESCAPED : STATE_PRESENT)),
  );
  writeDictionary(
    w,
    group.map((r, i) => templates[i] ?? (r.id as string)),
  );
  for (const field of layout.body)
    writeField(
      w,
      field,
      group.map((r) => (r.body as Rec)[field.key]),
    );
}

function readTimes(r: ByteReader, count: number, what: string): number[] {
  const times = readInts(r, count, `${what} times`);
  let delta = 0;
  for (let i = 0; i < count; i++) {
    if (i > 0) {
      delta = checkSafe(delta + unzigzag(times[i]!), `${what} time`);
      times[i] = checkSafe(times[i - 1]! + delta, `${what} time`);
      if (delta < 0) throw new MalformedInput(`${what} records are not in time order`);
    }
    if (times[i]! > TIME_MAX) throw new MalformedInput(`${what} time ${times[i]} is out of range`);
  }
  return times;
}

function readDeviceTimes(
  r: ByteReader,
  count: number,
  what: string,
  layout: TypeLayout,
  times: readonly number[],
  offsets: readonly unknown[] | undefined,
): (string | undefined)[] {
  const states = readInts(r, count, `${what}.deviceTime states`);
  let escaped = 0;
  let present = 0;
  for (const s of states) {
    if (s === STATE_ESCAPED) escaped++;
    else if (s === STATE_PRESENT) present++;
  }
  const deltas = readInts(r, present, `${what}.deviceTime`);
  const texts = readDictionary(r, escaped, `${what}.deviceTime`, (text) =>
    parsed(layout.deviceTime, text, `${what}.deviceTime`),
  ) as string[];
  const out = new Array<string | undefined>(count);
  for (let i = 0, o = 0, t = 0; i < count; i++) {
    const state = states[i]!;
    const timezoneOffset = offsets?.[i] as number | undefined;
    if (state === STATE_PRESENT) out[i] = wallClockText(times[i]!, timezoneOffset, unzigzag(deltas[o++]!));
    else if (state === STATE_ESCAPED) {
      const text = texts[t++]!;
      if (wallClockDelta({ time: times[i], timezoneOffset }, text) !== undefined)
        throw new MalformedInput(`${what}.deviceTime: a wall clock stored as text`);
      out[i] = text;
    } else if (state !== STATE_ABSENT) throw new MalformedInput(`${what}.deviceTime: unknown state ${state}`);
  }
  return out;
}

interface IdTemplate {
  readonly text: string;
  readonly build: ReturnType<typeof idBuilder>;
  /** Marks only the time, and no digit stands beside it: the time is then found only where it was put. */
  readonly timeOnly: boolean;
}

function timeOnly(template: string): boolean {
  return template.includes(TIME_MARK) && !template.includes(DEVICE_TIME_MARK) && !/[0-9]/.test(template);
}

/**
 * Whether the writer would store `template` for `id` (which it builds). A time is digits: in a
 * template whose other characters are no digits, replacing every occurrence of the time gives the
 * template back, so only a deviceTime the id holds could make the writer choose another.
 */
function isTemplateOf(template: IdTemplate, id: string, timeText: string, deviceTime: string | undefined): boolean {
  if (template.timeOnly) return deviceTime === undefined || deviceTime === "" || !id.includes(deviceTime);
  return templateCandidate(id, timeText, deviceTime) === template.text;
}

/** String(n) for a safe integer ≥ 0, from two small integers (which convert fast) for a millisecond time. */
function digits(n: number): string {
  if (n < 1e9) return String(n);
  const high = Math.floor(n / 1e6);
  const low = String(n - high * 1e6);
  return `${high}${"000000".slice(low.length)}${low}`;
}

function readIds(
  r: ByteReader,
  count: number,
  what: string,
  times: readonly number[],
  deviceTimes: readonly (string | undefined)[],
): string[] {
  const states = readInts(r, count, `${what}.id states`);
  const templates = readDictionary(r, count, `${what}.id`, (text) => ({
    text,
    build: idBuilder(text),
    timeOnly: timeOnly(text),
  })) as IdTemplate[];
  const ids = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const state = states[i];
    if (state !== STATE_PRESENT && state !== STATE_ESCAPED)
      throw new MalformedInput(`${what}.id: unknown state ${state}`);
    const timeText = digits(times[i]!);
    const deviceTime = deviceTimes[i];
    const template = templates[i]!;
    const id = state === STATE_PRESENT ? template.build(timeText, deviceTime) : template.text;
    if (id.length < 1 || id.length > ID_MAX)
      throw new MalformedInput(`${what} id is empty or longer than ${ID_MAX} characters`);
    if (
      !(state === STATE_PRESENT
        ? isTemplateOf(template, id, timeText, deviceTime)
        : idTemplate({ id, time: times[i], deviceTime }) === undefined)
    ) {
      throw new MalformedInput(`${what}.id: not the template its writer would use`);
    }
    if (i > 0 && times[i - 1] === times[i] && ids[i - 1]! >= id)
      throw new MalformedInput(`${what} records are not in (time, id) order`);
    ids[i] = id;
  }
  return ids;
}

function readGroup(r: ByteReader, layout: TypeLayout, count: number): StewardRecord[] {
  const what = layout.type;
  const times = readTimes(r, count, what);
  const columns = new Map<string, readonly unknown[]>();
  for (const field of layout.base) columns.set(field.key, readField(r, field, count, what));
  const deviceTimes = readDeviceTimes(r, count, what, layout, times, columns.get("timezoneOffset"));
  columns.set("deviceTime", deviceTimes);
  const ids = readIds(r, count, what, times, deviceTimes);
  const bodyKeys = layout.body.map((field) => field.key);
  const bodyValues = layout.body.map((field) => readField(r, field, count, `${what}.body`));
  const baseKeys = layout.keyOrder;
  const baseValues = baseKeys.map((key) => columns.get(key)!);
  // Each record is built once, its keys in the record schema's order as parseRecord gives them: a
  // record reads the same from any source.
  const records = new Array<StewardRecord>(count);
  for (let i = 0; i < count; i++) {
    const record: Rec = { id: ids[i], time: times[i] };
    for (let k = 0; k < baseKeys.length; k++) {
      const v = baseValues[k]![i];
      if (v !== undefined) record[baseKeys[k]!] = v;
    }
    record.type = what;
    const fields: Rec = {};
    for (let k = 0; k < bodyKeys.length; k++) {
      const v = bodyValues[k]![i];
      if (v !== undefined) fields[bodyKeys[k]!] = v;
    }
    record.body = fields;
    records[i] = record as StewardRecord;
  }
  return records;
}

/** Records as one segment, grouped by type and sorted by (time, id): the same set always encodes the same. */
export function encodeRecords(records: readonly StewardRecord[]): Uint8Array {
  // No groups: most contents have no readings or no view.
  if (records.length === 0) return new Uint8Array(1);
  const byType = new Map<string, StewardRecord[]>();
  for (const record of records) {
    const group = byType.get(record.type);
    if (group) group.push(record);
    else byType.set(record.type, [record]);
  }
  // Room for one record's columns at once; a regular stream then costs a few bytes a reading.
  const w = new ByteWriter(96 + records.length * 4);
  const types = RECORD_TYPES.filter((t) => byType.has(t));
  w.varint(types.length);
  for (const type of types) writeGroup(w, LAYOUTS.get(type)!, byType.get(type)!.sort(byTimeThenId) as unknown as Rec[]);
  return w.finish();
}

/** Reads a segment back; anything that is not a segment of valid records raises MalformedInput. */
export function decodeRecords(bytes: Uint8Array): StewardRecord[] {
  const r = new ByteReader(bytes, "packed records");
  const groups = r.varint("groups");
  if (groups > RECORD_TYPES.length) throw new MalformedInput("packed records: more groups than record types");
  let out: StewardRecord[] = [];
  let lastType = -1;
  for (let g = 0; g < groups; g++) {
    const type = r.u8("type");
    if (type <= lastType || type >= RECORD_TYPES.length)
      throw new MalformedInput("packed records: groups out of order or of an unknown type");
    lastType = type;
    const count = r.varint("count");
    // No bound per byte: runs let a regular stream cost less than a byte a reading.
    if (count === 0 || out.length + count > MAX_SEGMENT_RECORDS)
      throw new MalformedInput("packed records: group size out of range");
    const group = readGroup(r, LAYOUTS.get(RECORD_TYPES[type]!)!, count);
    out = out.length === 0 ? group : out.concat(group);
  }
  r.end();
  return out;
}
