// bagtower / BAG·Tower: the record itself (SPEC §4.1), or a JSON array when the receiver announced batchMax.
import type { BagtowerRecord } from "../record/schema.ts";

export function encodeBagtower(records: BagtowerRecord[]): string {
  return records.length === 1 ? JSON.stringify(records[0]) : JSON.stringify(records);
}
