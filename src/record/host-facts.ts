// What a record says about the machine it came from beyond its items: the facts telemetrics-client
// puts in every record's fields (os-release, DMI, /proc/cpuinfo), read by collect/host-facts.ts.
import * as v from "valibot";
import { MAX_FACT_LENGTH } from "./rules.ts";

const _fact = v.optional(v.pipe(v.string("expected a string"), v.maxLength(MAX_FACT_LENGTH, `expected at most ${MAX_FACT_LENGTH} characters`)));

/**
 * Each fact as read, trimmed. An absent key means its file is missing; "" that the file is there
 * but blank. telemetrics-client tells the two apart (`no_sv_file`, `blank`), so the record does too.
 */
export const hostFactsSchema = v.object({
  /** os-release ID, VARIANT_ID and VERSION_ID. */
  osId: _fact,
  osVariantId: _fact,
  osVersionId: _fact,
  /** /sys/class/dmi/id: sys_vendor, product_name, product_version, board_name, board_vendor, bios_version. */
  sysVendor: _fact,
  productName: _fact,
  productVersion: _fact,
  boardName: _fact,
  boardVendor: _fact,
  biosVersion: _fact,
  /** /proc/cpuinfo's first `model name` (x86 and 32-bit ARM; arm64 kernels print none). */
  cpuModel: _fact,
  /** The device tree's model (Raspberry Pi, Jetson), where boards without DMI name themselves. */
  deviceTreeModel: _fact,
});

export type HostFacts = v.InferOutput<typeof hostFactsSchema>;
