// The fleet API (SPEC §9): devices, one device, PATCH period and labels, series, and the
// spore-gateway monitoring view.
import * as v from "valibot";
import type { AlertEngine } from "./alerts/engine.ts";
import type { EventHub } from "./events.ts";
import { labelsSchema } from "../record/labels.ts";
import { issueText } from "../issue-text.ts";
import { storageWear, underVoltage } from "./device-health.ts";
import { HttpError } from "./http-errors.ts";
import { DEFAULT_PAGE, MAX_PAGE, type DeviceRow, type ItemRow, type Store } from "./store.ts";
import { PAYLOAD_ITEM } from "./store-items.ts";

export interface ApiContext {
  store: Store;
  alerts: AlertEngine;
  events: EventHub;
  now: () => number;
}

const _num = (value: unknown): number | undefined => (typeof value === "number" && Number.isFinite(value) ? value : undefined);

function _latest(items: ItemRow[]): Record<string, unknown> {
  return Object.fromEntries(items.map((i) => [i.id, i.latest]));
}

function _maxTemperature(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (!value || typeof value !== "object") return undefined;
  const values = Object.values(value as Record<string, unknown>).filter((n): n is number => typeof n === "number");
  return values.length ? Math.max(...values) : undefined;
}

export function deviceView(api: ApiContext, device: DeviceRow, items = api.store.items(device.id)) {
  const latest = _latest(items);
  const summary: Record<string, number> = {};
  for (const key of ["cpu", "memory", "diskusage"] as const) {
    const value = _num(latest[key]);
    if (value !== undefined) summary[key] = value;
  }
  const temperature = _maxTemperature(latest.temperature);
  if (temperature !== undefined) summary.temperature = temperature;
  // Health the fleet page flags: computed here, where every device's latest values are at hand.
  const power = underVoltage(latest.power);
  if (power !== undefined) summary.under_voltage = power;
  const wear = storageWear(latest.storage_health);
  if (wear !== undefined) summary.storage_wear = wear;
  return {
    id: device.id,
    machineId: device.machineId,
    hostname: device.hostname,
    // The latest record's meta.agent (`bagtower/0.1.0`).
    agent: device.agent,
    labels: device.labels,
    periodSeconds: device.periodSeconds,
    firstSeen: new Date(device.firstSeen * 1000).toISOString(),
    lastSeen: new Date(device.lastSeen * 1000).toISOString(),
    address: device.address,
    status: device.status,
    latest: summary,
    alerts: api.alerts.of(device.id),
  };
}

/**
 * `?limit=` (default DEFAULT_PAGE, at most MAX_PAGE) and `?cursor=` (the previous page's
 * nextCursor): a page of devices in id order, so a fleet at the device cap is never one reply.
 */
function _page(api: ApiContext, params: URLSearchParams): { devices: DeviceRow[]; nextCursor: string | null } {
  const text = params.get("limit");
  const limit = text === null || text === "" ? DEFAULT_PAGE : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new HttpError(400, `limit: expected a whole number from 1 to ${MAX_PAGE}, got "${(text ?? "").slice(0, 20)}"`);
  const devices = api.store.devicesPage(limit + 1, params.get("cursor") ?? "");
  const more = devices.length > limit;
  if (more) devices.pop();
  return { devices, nextCursor: more ? devices.at(-1)!.id : null };
}

export function listDevices(api: ApiContext, params = new URLSearchParams()) {
  const page = _page(api, params);
  return { devices: page.devices.map((d) => deviceView(api, d)), nextCursor: page.nextCursor };
}

function _device(api: ApiContext, id: string): DeviceRow {
  const device = api.store.device(id);
  if (!device) throw new HttpError(404, `no device "${id}"`);
  return device;
}

export function getDevice(api: ApiContext, id: string) {
  const device = _device(api, id);
  const items = api.store.items(id);
  return {
    device: deviceView(api, device, items),
    items: items.map((i) => ({ id: i.id, type: i.type, shape: i.shape, keys: i.keys, latest: i.latest })),
  };
}

const _patchSchema = v.strictObject(
  {
    periodSeconds: v.optional(v.pipe(v.number("expected a number"), v.integer("expected whole seconds"), v.minValue(10, "expected at least 10 s"), v.maxValue(31 * 86400, "expected at most 31 days"))),
    labels: v.optional(
      v.pipe(
        labelsSchema("label"),
        v.check((labels) => Object.keys(labels).length <= 64, "expected at most 64 labels"),
      ),
    ),
  },
  "unknown field: only periodSeconds and labels can be changed",
);

export function patchDevice(api: ApiContext, id: string, body: unknown) {
  _device(api, id);
  const result = v.safeParse(_patchSchema, body);
  if (!result.success) {
    throw new HttpError(400, issueText(result.issues, "body"));
  }
  const device = api.store.updateDevice(id, result.output)!;
  const view = deviceView(api, device);
  api.events.publish("device.updated", { deviceId: id, periodSeconds: device.periodSeconds, labels: device.labels });
  return { device: view };
}

function _seconds(text: string | null, fallback: number, name: string): number {
  if (text === null || text === "") return fallback;
  const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Date.parse(text) / 1000;
  if (!Number.isFinite(value)) throw new HttpError(400, `${name}: expected unix seconds or an ISO 8601 time, got "${text.slice(0, 40)}"`);
  return Math.floor(value);
}

/** Per-second rates from a monotonic counter; a reset (the value went down) starts over. */
export function toRates(points: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 1; i < points.length; i++) {
    const [t0, v0] = points[i - 1]!;
    const [t1, v1] = points[i]!;
    if (t1 > t0 && v1 >= v0) out.push([t1, (v1 - v0) / (t1 - t0)]);
  }
  return out;
}

/** Items one series request may name (`items=a,b,…`): a device page asks for the graphs in view. */
export const MAX_SERIES_ITEMS = 200;

/** The window and step of a series request: `from`/`to` (unix seconds or ISO 8601, default the last 24 h), `step`. */
function _window(api: ApiContext, params: URLSearchParams) {
  const nowS = Math.floor(api.now() / 1000);
  const to = _seconds(params.get("to"), nowS, "to");
  const from = _seconds(params.get("from"), to - 86400, "from");
  if (from > to) throw new HttpError(400, "from: must not be after to");
  const stepText = params.get("step");
  const step = stepText === null || stepText === "" ? undefined : Number(stepText);
  if (step !== undefined && !(/^\d{1,7}$/.test(stepText!) && step >= 1 && step <= 31 * 86400)) throw new HttpError(400, `step: expected whole seconds between 1 and 2678400, got "${stepText!.slice(0, 40)}"`);
  return { nowS, from, to, step };
}

function _series(api: ApiContext, id: string, meta: ItemRow, window: ReturnType<typeof _window>) {
  const item = meta.id;
  const graph = api.store.graph(id, item, window.from, window.to, window.nowS, window.step);
  const rate = meta.type === "counter";
  // A rollup row is [ts, avg, min, max] (the dashboard draws the band); a counter's is [ts, last],
  // graphed as the rate between rows, as between samples.
  const points: Record<string, number[][]> = {};
  for (const row of graph.rows) (points[row.key] ??= []).push(!rate && row.min !== undefined ? [row.ts, row.value, row.min, row.max!] : [row.ts, row.value]);
  if (rate) for (const key of Object.keys(points)) points[key] = toRates(points[key] as [number, number][]);
  // The record's own key order (load: 1m, 5m, 15m; cpu_per_cpu: 0 … 11), not the store's text order.
  const order = new Map(meta.keys.map((k, i) => [k, i]));
  const keys = Object.keys(points).sort((a, b) => (order.get(a) ?? Number.MAX_SAFE_INTEGER) - (order.get(b) ?? Number.MAX_SAFE_INTEGER) || a.localeCompare(b, undefined, { numeric: true }));
  return { item, type: meta.type, rate, tier: graph.tier, step: graph.stepS, keys, points: Object.fromEntries(keys.map((k) => [k, points[k]!])) };
}

/**
 * One numeric item's points (`item=cpu`), or several items' in one answer (`items=cpu,memory,…`:
 * `{series: [...]}` in the order asked, an item this device has no numbers for as `{item, error}`),
 * so a device page costs one request rather than one per graph.
 */
export function getSeries(api: ApiContext, id: string, params: URLSearchParams) {
  _device(api, id);
  const list = params.get("items");
  const item = params.get("item");
  if (list !== null && item !== null) throw new HttpError(400, "item and items: give one of them");
  if (list === null && !item) throw new HttpError(400, "item: required (e.g. ?item=cpu, or ?items=cpu,memory)");
  const items = api.store.items(id);
  const byId = new Map(items.map((i) => [i.id, i]));
  if (list === null) {
    const meta = byId.get(item!);
    if (!meta) throw new HttpError(404, `device "${id}" has no item "${item}"`);
    if (meta.shape === "string") throw new HttpError(400, `item "${item}" holds text, not numbers: see GET /api/devices/${id}`);
    return _series(api, id, meta, _window(api, params));
  }
  const names = list.split(",");
  if (names.some((name) => name === "")) throw new HttpError(400, "items: expected item ids separated by commas, none empty");
  if (names.length > MAX_SERIES_ITEMS) throw new HttpError(400, `items: at most ${MAX_SERIES_ITEMS} in one request, got ${names.length}`);
  if (new Set(names).size !== names.length) throw new HttpError(400, "items: an item is named twice");
  const window = _window(api, params);
  return {
    series: names.map((name) => {
      const meta = byId.get(name);
      if (!meta) return { item: name.slice(0, 200), error: `device "${id}" has no item "${name.slice(0, 200)}"` };
      if (meta.shape === "string") return { item: name, error: `item "${name}" holds text, not numbers` };
      return _series(api, id, meta, window);
    }),
  };
}

/** A text item's values as they changed (and telemetrics payloads, item `telemetrics.payload`), newest last. */
export function getHistory(api: ApiContext, id: string, params: URLSearchParams) {
  _device(api, id);
  const item = params.get("item");
  if (!item) throw new HttpError(400, "item: required (e.g. ?item=system)");
  const meta = api.store.items(id).find((i) => i.id === item);
  if (item !== PAYLOAD_ITEM && meta?.shape !== "string") {
    throw new HttpError(meta ? 400 : 404, meta ? `item "${item}" holds numbers: see /api/devices/${id}/series?item=${item}` : `device "${id}" has no text item "${item}"`);
  }
  const nowS = Math.floor(api.now() / 1000);
  const to = _seconds(params.get("to"), nowS, "to");
  const from = _seconds(params.get("from"), 0, "from");
  if (from > to) throw new HttpError(400, "from: must not be after to");
  return { item, values: api.store.strings(id, item, from, to).map((v) => [v.ts, JSON.parse(v.value) as unknown]) };
}

/**
 * The spore-gateway view: nodes with cpu, memory, network and flash (the root filesystem), paged
 * as /api/devices, and a summary of the whole fleet.
 */
export function monitoringResources(api: ApiContext, params = new URLSearchParams()) {
  const page = _page(api, params);
  const nodes = page.devices.map((device) => {
    const latest = _latest(api.store.items(device.id));
    const mem = (latest.memory_bytes ?? {}) as Record<string, number>;
    const net = (latest.network ?? {}) as Record<string, number>;
    const wifi = (latest.wifi ?? {}) as Record<string, number>;
    const fs = (latest.filesystems ?? {}) as Record<string, number>;
    return {
      timestamp: new Date(device.lastSeen * 1000).toISOString(),
      node_id: device.id,
      node_ip: device.address,
      hostname: device.hostname,
      status: device.status,
      cpu: { frequency_mhz: _num(latest.cpu_frequency) ?? null, usage_percent: _num(latest.cpu) ?? null, temperature_c: _maxTemperature(latest.temperature) ?? null },
      memory: {
        total_bytes: _num(mem.total) ?? null,
        free_bytes: _num(mem.available) ?? null,
        used_bytes: _num(mem.used) ?? null,
        usage_percent: _num(latest.memory) ?? null,
      },
      network: {
        bytes_sent: _num(net.bytes_sent) ?? null,
        bytes_received: _num(net.bytes_received) ?? null,
        packets_sent: _num(net.packets_sent) ?? null,
        packets_received: _num(net.packets_received) ?? null,
        rssi_dbm: _num(wifi.rssi_dbm) ?? null,
        signal_quality_percent: _num(wifi.signal_quality_percent) ?? null,
      },
      // Records carry the root filesystem's use as a percentage only; byte sizes are not sent.
      flash: { total_bytes: null, used_bytes: null, free_bytes: null, usage_percent: _num(latest.diskusage) ?? _num(fs["/"]) ?? null },
      labels: device.labels,
    };
  });
  const round = (x: number | null) => (x === null ? 0 : Math.round(x * 10) / 10);
  const fleet = api.store.fleetSummary();
  return {
    timestamp: new Date(api.now()).toISOString(),
    nodes,
    // Only when there is a next page: a fleet of one page keeps the spore-gateway shape exactly.
    ...(page.nextCursor === null ? {} : { nextCursor: page.nextCursor }),
    summary: {
      total_nodes: fleet.total,
      up_nodes: fleet.up,
      avg_cpu_usage_percent: round(fleet.avgCpu),
      avg_memory_usage_percent: round(fleet.avgMemory),
      avg_flash_usage_percent: round(fleet.avgFlash),
      total_bytes_sent: fleet.bytesSent,
      total_bytes_received: fleet.bytesReceived,
    },
  };
}
