/** The wire formats a sink may speak; apart from schema.ts so the flag definitions need no valibot. */
export const SINK_FORMATS = ["bagtower", "pattoo", "datadog", "influx", "prometheus", "remote_write", "telemetrics", "mqtt"] as const;
