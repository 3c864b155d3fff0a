// The load phases' records, shared by bench/serve.ts and bench/ingest-split.ts: they send many
// more records than a device makes in a week, so they cycle through a pool of walked records per
// device (generated up front: building a record costs ~30 µs, which would bound the load
// generator), each sent with a new timestamp, recordId and seq.
import { createWalk, influxLines } from "./walk.ts";

/** Walked records per device in the pool. */
export const POOL_STEPS = 16;

export interface RecordPool {
  /** The pooled record of device `d` for `seq` as bagtower JSON, with this timestamp, recordId and seq. */
  json(d: number, ts: number, recordId: string, seq: number): string;
  /** The same record as one Influx line (bench/walk.ts's influxLines) at this timestamp. */
  influx(d: number, ts: number, seq: number): string;
}

export function createRecordPool(seed: number, devices: number): RecordPool {
  const walk = createWalk(seed, devices);
  const pool = Array.from({ length: devices }, (_, d) =>
    Array.from({ length: POOL_STEPS }, (_, k) => {
      const record = walk.recordAt(d, k);
      const line = influxLines([record]).trimEnd();
      return {
        // Everything of the record but its timestamps and the meta fields that change per record.
        head: `{"deviceId":"${record.deviceId}",`,
        rest: `"data":${JSON.stringify(record.data)},"meta":${JSON.stringify({ ...record.meta, recordId: undefined, seq: undefined }).slice(0, -1)}`,
        influx: line.slice(0, line.lastIndexOf(" ") + 1),
      };
    }),
  );
  const at = (d: number, seq: number) => pool[d % devices]![seq % POOL_STEPS]!;
  return {
    json(d, ts, recordId, seq) {
      const p = at(d, seq);
      return `${p.head}"unixTimestamp":${ts},"UTCTimestamp":"${new Date(ts * 1000).toISOString()}",${p.rest},"recordId":"${recordId}","seq":${seq}}}`;
    },
    influx: (d, ts, seq) => `${at(d, seq).influx}${ts}\n`,
  };
}
