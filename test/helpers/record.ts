// The one record builder of the tests: a whole BagtowerRecord as an agent sends it, with the items
// a Raspberry Pi reports by default, and any field replaceable.
import type { BagtowerRecord, Item } from "../../src/record/schema.ts";

/** The values of the default items a test most often varies. */
export interface SampleValues {
  cpu: number;
  memory: number;
  rx: number;
  wifi: number;
}

let _seq = 0;

/**
 * A full record of `deviceId` (none when undefined: the machine id names the device) at `at` unix
 * seconds. Each call takes the next seq, so recordIds and the network counters differ; `data` and
 * `meta` replace the default items and meta fields.
 */
export function sampleRecord(deviceId: string | undefined, at: number, values: Partial<SampleValues> = {}, replace: { data?: Item[]; meta?: Partial<BagtowerRecord["meta"]> } = {}): BagtowerRecord {
  const seq = ++_seq;
  return {
    ...(deviceId === undefined ? {} : { deviceId }),
    unixTimestamp: at,
    UTCTimestamp: new Date(at * 1000).toISOString(),
    data: replace.data ?? [
      { id: "deviceStatus", type: "string", val: "UP" },
      { id: "cpu", type: "percent", val: values.cpu ?? 12.5 },
      { id: "cpu_per_cpu", type: "percent", val: [10, 15] },
      { id: "memory", type: "percent", val: values.memory ?? 40 },
      { id: "diskusage", type: "percent", val: 60 },
      { id: "sockets_info", type: "count", val: { nb_established: 4, nb_sockets_closing: 0, nb_sockets_close: 1, nb_sockets_listen: 6 } },
      { id: "network", type: "counter", val: { bytes_sent: 1000 * seq, bytes_received: values.rx ?? 5000 * seq } },
      { id: "wifi", type: "dbm", val: { rssi_dbm: -60, signal_quality_percent: values.wifi ?? 70 } },
      { id: "system", type: "string", val: { kernel: "6.6.31", os: "Debian 12" } },
    ],
    meta: {
      recordId: `rec-${deviceId}-${seq}-${at}`,
      machineId: "0123456789abcdef0123456789abcdef",
      hostname: `${deviceId}-host`,
      bootId: "boot",
      seq,
      agent: "bagtower/test",
      tags: {},
      errors: [],
      ...replace.meta,
    },
  };
}
