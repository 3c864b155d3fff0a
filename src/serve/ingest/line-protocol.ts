// InfluxDB line protocol (https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/):
// measurement[,tag=value…] field=value[,field=value…] [timestamp], with its escaping rules.

export type FieldValue = number | string | boolean;

export interface Point {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  /** Integer fields (`i` or `u` suffix): kept apart so a receiver can type them. */
  integers: Set<string>;
  /** In the unit of the precision parameter; undefined when the line has none. */
  timestamp?: bigint;
}

export class LineError extends Error {}

/** Reads up to an unescaped stop character; `\` escapes the next character (kept for others). */
function _until(line: string, at: number, stops: string, escapable: string): [string, number] {
  // Most names and values hold no backslash: find the stop and slice, without building the text
  // character by character (bagtower's own lines repeat host, device and tags on every line).
  for (let i = at; i < line.length; i++) {
    const c = line[i]!;
    if (c === "\\") return _untilEscaped(line, at, stops, escapable);
    if (stops.includes(c)) return [line.slice(at, i), i];
  }
  return [line.slice(at), line.length];
}

function _untilEscaped(line: string, at: number, stops: string, escapable: string): [string, number] {
  let out = "";
  let i = at;
  while (i < line.length) {
    const c = line[i]!;
    if (c === "\\" && i + 1 < line.length && escapable.includes(line[i + 1]!)) {
      out += line[i + 1];
      i += 2;
      continue;
    }
    if (stops.includes(c)) break;
    out += c;
    i++;
  }
  return [out, i];
}

function _fieldValue(raw: string, key: string): { value: FieldValue; integer: boolean } {
  if (/^-?\d+i$/.test(raw)) return { value: Number(raw.slice(0, -1)), integer: true };
  if (/^\d+u$/.test(raw)) return { value: Number(raw.slice(0, -1)), integer: true };
  if (/^(t|T|true|True|TRUE)$/.test(raw)) return { value: true, integer: false };
  if (/^(f|F|false|False|FALSE)$/.test(raw)) return { value: false, integer: false };
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) {
    const value = Number(raw);
    if (Number.isFinite(value)) return { value, integer: false };
  }
  throw new LineError(`field "${key}": invalid value ${JSON.stringify(raw.slice(0, 40))}`);
}

export function parseLine(line: string): Point {
  let i = 0;
  let measurement: string;
  [measurement, i] = _until(line, 0, ", ", ", \\");
  if (!measurement) throw new LineError("missing measurement");
  const tags: Record<string, string> = {};
  while (line[i] === ",") {
    let key: string;
    let value: string;
    [key, i] = _until(line, i + 1, "=, ", ",= \\");
    if (line[i] !== "=" || !key) throw new LineError(`tag "${key}": missing =value`);
    [value, i] = _until(line, i + 1, ", ", ",= \\");
    if (!value) throw new LineError(`tag "${key}": empty value`);
    tags[key] = value;
  }
  if (line[i] !== " ") throw new LineError("missing fields");
  while (line[i] === " ") i++;
  const fields: Record<string, FieldValue> = {};
  const integers = new Set<string>();
  for (;;) {
    let key: string;
    [key, i] = _until(line, i, "=, ", ",= \\");
    if (line[i] !== "=" || !key) throw new LineError(`field "${key}": missing =value`);
    i++;
    if (line[i] === '"') {
      let value = "";
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === "\\" && (line[i + 1] === '"' || line[i + 1] === "\\")) i++;
        value += line[i];
        i++;
      }
      if (line[i] !== '"') throw new LineError(`field "${key}": unterminated string`);
      i++;
      fields[key] = value;
    } else {
      let raw: string;
      [raw, i] = _until(line, i, ", ", "");
      const parsed = _fieldValue(raw, key);
      fields[key] = parsed.value;
      if (parsed.integer) integers.add(key);
    }
    if (line[i] === ",") {
      i++;
      continue;
    }
    break;
  }
  while (line[i] === " ") i++;
  let timestamp: bigint | undefined;
  const rest = line.slice(i).trim();
  if (rest !== "") {
    if (!/^-?\d{1,19}$/.test(rest)) throw new LineError(`invalid timestamp ${JSON.stringify(rest.slice(0, 30))}`);
    timestamp = BigInt(rest);
  }
  return { measurement, tags, fields, integers, timestamp };
}

const _PER_SECOND: Record<string, bigint> = { ns: 1_000_000_000n, n: 1_000_000_000n, u: 1_000_000n, us: 1_000_000n, ms: 1000n, s: 1n, m: 1n, h: 1n };

/** Unix seconds of a point, for the request's precision (default nanoseconds, as InfluxDB). */
export function toSeconds(timestamp: bigint, precision: string): number {
  if (precision === "m") return Number(timestamp * 60n);
  if (precision === "h") return Number(timestamp * 3600n);
  const per = _PER_SECOND[precision];
  if (per === undefined) throw new LineError(`precision=${precision} is not one of ns, u, ms, s, m, h`);
  return Number(timestamp / per);
}

/**
 * Calls `onPoint` for every line of a body as it is parsed, so a caller can stop (throw) at a limit
 * before the rest is read; a bad line throws naming its number (InfluxDB refuses the whole write too).
 */
export function eachLine(body: string, onPoint: (point: Point, lineNumber: number) => void): void {
  let start = 0;
  for (let index = 0; start <= body.length; index++) {
    let end = body.indexOf("\n", start);
    if (end === -1) end = body.length;
    const line = body.slice(start, end).replace(/\r$/, "");
    start = end + 1;
    if (line.trim() === "" || line.startsWith("#")) continue;
    let point: Point;
    try {
      point = parseLine(line);
    } catch (error) {
      if (error instanceof LineError) throw new LineError(`line ${index + 1}: ${error.message}: ${JSON.stringify(line.slice(0, 80))}`);
      throw error;
    }
    onPoint(point, index + 1);
  }
}

/** Every line of a body. */
export function parseLines(body: string): Point[] {
  const out: Point[] = [];
  eachLine(body, (point) => out.push(point));
  return out;
}
