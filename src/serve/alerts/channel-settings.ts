/**
 * A channel's settings, as config `serve.channels` entries and the channels API take them: the URL
 * (channel-url.ts) and who and when it tells. Validated once here; the notifier sees typed values.
 */
import * as v from "valibot";
import { durationSchema } from "../../duration.ts";
import { ChannelUrlError, parseChannelUrl } from "./channel-url.ts";

const _HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

const _timeZone = v.pipe(
  v.string("expected an IANA time zone such as Europe/Berlin"),
  v.check((zone) => {
    try {
      new Intl.DateTimeFormat("en-GB", { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, "expected an IANA time zone such as Europe/Berlin"),
);

export const quietHoursSchema = v.strictObject(
  {
    from: v.pipe(v.string(), v.regex(_HHMM, "expected HH:MM (24 h)")),
    to: v.pipe(v.string(), v.regex(_HHMM, "expected HH:MM (24 h)")),
    timeZone: v.optional(_timeZone, "UTC"),
  },
  "unknown field (quietHours has from, to, timeZone)",
);

export type QuietHours = v.InferOutput<typeof quietHoursSchema>;

const _channelUrl = v.pipe(
  v.string("expected a channel URL such as ntfy://ntfy.sh/topic"),
  v.trim(),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    try {
      parseChannelUrl(dataset.value);
    } catch (error) {
      if (!(error instanceof ChannelUrlError)) throw error;
      addIssue({ message: error.message });
    }
  }),
);

const _resend = v.union([v.literal(0), v.pipe(v.number(), v.integer(), v.minValue(60, "expected at least 60 seconds"), v.transform((s) => s * 1000)), durationSchema], "expected a duration such as 2h, or 0 (never)");

const _fields = {
  url: _channelUrl,
  name: v.optional(v.pipe(v.string(), v.maxLength(100, "expected at most 100 characters"))),
  /** Rule ids this channel hears; absent or empty: every rule. */
  rules: v.optional(v.array(v.pipe(v.string(), v.nonEmpty("expected a rule id")), "expected a list of rule ids")),
  /** Devices whose labels have all of these; absent: every device. */
  labels: v.optional(v.record(v.string(), v.string(), "expected an object of label = value")),
  quietHours: v.optional(v.nullable(quietHoursSchema)),
  /** Tell again this often while an alert stays firing (a duration, or seconds ≥ 60; parsed to ms); 0 or absent: never. */
  resendInterval: v.optional(_resend),
  /** webhook channels: a body template (message.ts renderTemplate). */
  template: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(16_384, "expected at most 16 KiB")))),
};

const _unknown = "unknown field (a channel has url, name, rules, labels, quietHours, resendInterval, template)";

export const channelSettingsSchema = v.strictObject(_fields, _unknown);
export const channelPatchSchema = v.strictObject(
  Object.fromEntries(Object.entries(_fields).map(([k, s]) => [k, k === "url" ? v.optional(s) : s])) as { [K in keyof typeof _fields]: v.OptionalSchema<(typeof _fields)[K] extends v.OptionalSchema<infer S, undefined> ? S : (typeof _fields)[K], undefined> },
  _unknown,
);

export type ChannelSettings = v.InferOutput<typeof channelSettingsSchema>;
export type ChannelPatch = v.InferOutput<typeof channelPatchSchema>;


const _minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether `nowMs` falls in the quiet hours (a range past midnight, 22:00–07:00, wraps). */
export function inQuietHours(quiet: QuietHours | null | undefined, nowMs: number): boolean {
  if (!quiet) return false;
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone: quiet.timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date(nowMs));
  const minute = Number(parts.find((p) => p.type === "hour")!.value) * 60 + Number(parts.find((p) => p.type === "minute")!.value);
  const from = _minutes(quiet.from);
  const to = _minutes(quiet.to);
  return from <= to ? minute >= from && minute < to : minute >= from || minute < to;
}
