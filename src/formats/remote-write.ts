// Prometheus remote write 1.0 (prometheus.io "Remote-Write Specification"; prompb/remote.proto and
// types.proto): a WriteRequest protobuf of TimeSeries{labels, samples}, snappy block compressed.
// Series are named by prometheus-series.ts, as in the text exposition, so one PromQL query selects
// the same series whichever way they arrived.
import type { BagtowerRecord } from "../record/schema.ts";
import { prometheusSamples } from "./prometheus-series.ts";
import { snappyCompress, snappyDecompress } from "./snappy.ts";

/** The headers the specification makes mandatory; the body is already snappy-compressed. */
export const REMOTE_WRITE_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": "application/x-protobuf",
  "Content-Encoding": "snappy",
  "X-Prometheus-Remote-Write-Version": "0.1.0",
};

export interface RemoteSeries {
  /** Sorted by name, `__name__` included, as the specification demands. */
  labels: [string, string][];
  /** Oldest first. */
  samples: { value: number; timestampMs: number }[];
}

const _byName = ([a]: [string, string], [b]: [string, string]) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The records' samples as series: one series per label set, however many records carry it, with
 * its samples in time order (a receiver refuses a series that goes back in time within a request).
 * Within one record the first sample of a label set wins and a name keeps the type it first had,
 * as in the exposition.
 */
export function remoteWriteSeries(records: BagtowerRecord[]): RemoteSeries[] {
  const series = new Map<string, RemoteSeries>();
  for (const record of records) {
    const timestampMs = record.unixTimestamp * 1000;
    const types = new Map<string, string>();
    const seen = new Set<string>();
    for (const sample of prometheusSamples(record)) {
      if ((types.get(sample.name) ?? sample.type) !== sample.type) continue;
      types.set(sample.name, sample.type);
      // An empty value is no label in Prometheus' data model, and the specification forbids sending one.
      const labels = [["__name__", sample.name] as [string, string], ...sample.labels.filter(([, v]) => v !== "")].sort(_byName);
      const key = JSON.stringify(labels);
      if (seen.has(key)) continue;
      seen.add(key);
      let one = series.get(key);
      if (one === undefined) series.set(key, (one = { labels, samples: [] }));
      one.samples.push({ value: sample.value, timestampMs });
    }
  }
  for (const one of series.values()) one.samples.sort((a, b) => a.timestampMs - b.timestampMs);
  return [...series.values()];
}

function _varintLength(n: number): number {
  let length = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    length++;
  }
  return length;
}

class _Writer {
  private buf: Uint8Array;
  private view: DataView;
  at = 0;

  constructor(size = 256) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    bigger.set(this.buf.subarray(0, this.at));
    this.buf = bigger;
    this.view = new DataView(bigger.buffer);
  }

  /** Unsigned varint; numbers up to 2^53, which covers every millisecond timestamp. */
  varint(n: number): void {
    this.room(10);
    while (n >= 0x80) {
      this.buf[this.at++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.at++] = n;
  }

  double(value: number): void {
    this.room(8);
    this.view.setFloat64(this.at, value, true);
    this.at += 8;
  }

  bytes(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.buf.set(bytes, this.at);
    this.at += bytes.length;
  }

  /** A length-delimited field (wire type 2) whose content `fill` writes; the length is known after. */
  message(field: number, fill: (w: _Writer) => void): void {
    const inner = new _Writer();
    fill(inner);
    this.varint((field << 3) | 2);
    this.varint(inner.at);
    this.bytes(inner.done());
  }

  done(): Uint8Array {
    return this.buf.subarray(0, this.at);
  }
}

const _utf8 = new TextEncoder();

/** The WriteRequest protobuf, uncompressed: timeseries = 1; TimeSeries labels = 1, samples = 2; Label name = 1, value = 2; Sample value = 1 (double), timestamp = 2 (int64 ms). */
export function encodeWriteRequest(series: RemoteSeries[]): Uint8Array {
  const w = new _Writer(4096);
  for (const one of series) {
    w.message(1, (ts) => {
      for (const [name, value] of one.labels) {
        const n = _utf8.encode(name);
        const v = _utf8.encode(value);
        // Label and Sample lengths are known up front: no nested buffer for the many small messages.
        ts.varint(0x0a);
        ts.varint(2 + _varintLength(n.length) + n.length + _varintLength(v.length) + v.length);
        ts.varint(0x0a);
        ts.varint(n.length);
        ts.bytes(n);
        ts.varint(0x12);
        ts.varint(v.length);
        ts.bytes(v);
      }
      for (const sample of one.samples) {
        ts.varint(0x12);
        ts.varint(1 + 8 + 1 + _varintLength(sample.timestampMs));
        ts.varint(0x09);
        ts.double(sample.value);
        ts.varint(0x10);
        ts.varint(sample.timestampMs);
      }
    });
  }
  return w.done();
}

/** The body of a remote-write request for `records`: the WriteRequest, snappy-compressed. */
export function remoteWriteBody(records: BagtowerRecord[]): Uint8Array {
  return snappyCompress(encodeWriteRequest(remoteWriteSeries(records)));
}

export class RemoteWriteDecodeError extends Error {}

class _Reader {
  at: number;
  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.at = start;
  }

  varint(): number {
    let n = 0;
    for (let shift = 0; ; shift += 7) {
      if (this.at >= this.end || shift > 63) throw new RemoteWriteDecodeError("protobuf: truncated varint");
      const b = this.buf[this.at++]!;
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return n;
    }
  }

  /** The sub-reader of a length-delimited field. */
  sub(): _Reader {
    const length = this.varint();
    if (this.at + length > this.end) throw new RemoteWriteDecodeError("protobuf: field past the end");
    const reader = new _Reader(this.buf, this.at, this.at + length);
    this.at += length;
    return reader;
  }

  double(): number {
    if (this.at + 8 > this.end) throw new RemoteWriteDecodeError("protobuf: truncated double");
    const value = new DataView(this.buf.buffer, this.buf.byteOffset + this.at, 8).getFloat64(0, true);
    this.at += 8;
    return value;
  }

  text(): string {
    const r = this.sub();
    return new TextDecoder("utf-8", { fatal: true }).decode(this.buf.subarray(r.at, r.end));
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.at += 8;
    else if (wireType === 2) this.sub();
    else if (wireType === 5) this.at += 4;
    else throw new RemoteWriteDecodeError(`protobuf: wire type ${wireType}`);
    if (this.at > this.end) throw new RemoteWriteDecodeError("protobuf: field past the end");
  }

  fields(each: (field: number, wireType: number) => void): void {
    while (this.at < this.end) {
      const key = this.varint();
      each(Math.floor(key / 8), key & 7);
    }
  }
}

/** Reads a WriteRequest back (uncompressed protobuf); unknown fields (metadata, exemplars) are skipped. */
export function decodeWriteRequest(bytes: Uint8Array): RemoteSeries[] {
  const out: RemoteSeries[] = [];
  const top = new _Reader(bytes);
  top.fields((field, wire) => {
    if (field !== 1 || wire !== 2) return top.skip(wire);
    const ts = top.sub();
    const one: RemoteSeries = { labels: [], samples: [] };
    ts.fields((f, w) => {
      if (f === 1 && w === 2) {
        const label = ts.sub();
        let name = "";
        let value = "";
        label.fields((lf, lw) => {
          if (lf === 1 && lw === 2) name = label.text();
          else if (lf === 2 && lw === 2) value = label.text();
          else label.skip(lw);
        });
        one.labels.push([name, value]);
      } else if (f === 2 && w === 2) {
        const sample = ts.sub();
        let value = 0;
        let timestampMs = 0;
        sample.fields((sf, sw) => {
          if (sf === 1 && sw === 1) value = sample.double();
          else if (sf === 2 && sw === 0) timestampMs = sample.varint();
          else sample.skip(sw);
        });
        one.samples.push({ value, timestampMs });
      } else ts.skip(w);
    });
    out.push(one);
  });
  return out;
}

/** A remote-write body (snappy, then protobuf) back as series. */
export function decodeRemoteWriteBody(body: Uint8Array, maxLength?: number): RemoteSeries[] {
  return decodeWriteRequest(snappyDecompress(body, maxLength));
}
