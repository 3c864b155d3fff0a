// `collect --format mqtt`: the messages an mqtt sink with the default prefixes would publish for a record.
import type { Context } from "../context.ts";
import { readCronState } from "../cron/manage.ts";
import { encodeHomeAssistant } from "../formats/home-assistant.ts";
import type { EncodeOptions } from "../formats/types.ts";
import type { BagtowerRecord } from "../record/schema.ts";
import { DEFAULT_DISCOVERY_PREFIX, DEFAULT_STATE_PREFIX } from "./mqtt-url.ts";

/** One `topic payload` line per message, the retained discovery configs first, then the state. */
export function homeAssistantLines(ctx: Context, record: BagtowerRecord, options: EncodeOptions): string {
  const periodS = readCronState(ctx)?.periodSeconds ?? Math.round(options.pollingIntervalMs / 1000);
  const encoded = encodeHomeAssistant(record, { prefix: DEFAULT_STATE_PREFIX, discoveryPrefix: DEFAULT_DISCOVERY_PREFIX, expireAfterS: 2 * periodS });
  return [...encoded.discovery, encoded.state].map((m) => `${m.topic} ${m.payload}\n`).join("");
}
