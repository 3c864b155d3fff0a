// cgroup v2 scopes of container runtimes under /sys/fs/cgroup (docker-<id>.scope or docker/<id>,
// libpod-<id>.scope, cri-containerd-<id>.scope, crio-<id>.scope): `name.cpu_percent` = Δ cpu.stat
// usage_usec / Δ wall time since the previous run × 100 (percent of one CPU, so 250 = 2.5 cores),
// `name.memory_bytes` = memory.current, `name.memory_max_bytes` = memory.max unless "max". Names
// come from Docker's config.v2.json and Podman's containers.json where readable, else the short id.
import * as v from "valibot";
import { STATE_FILES } from "../../paths.ts";
import { isCounterSample } from "../../state.ts";
import { defineItem, type ItemContext } from "../item.ts";
import { round, sysNumber, sysValue } from "../probe.ts";

export type Runtime = "docker" | "podman" | "containerd" | "crio";

export interface ContainerScope {
  runtime: Runtime;
  id: string;
  /** The cgroup directory, relative to the root. */
  dir: string;
}

const _SCOPE = /^(docker|libpod|cri-containerd|crio)-([0-9a-f]{64})\.scope$/;
const _RUNTIME: Record<string, Runtime> = { docker: "docker", libpod: "podman", "cri-containerd": "containerd", crio: "crio" };
const _CGROUP = "/sys/fs/cgroup";
/** Bounds of the walk: kubepods nest a scope 4–5 levels down, rootless Podman 6. */
const _MAX_DEPTH = 8;
const _MAX_DIRS = 4096;
/** `.memory_max_bytes` is the longest key suffix; keys hold at most 64 characters. */
const _MAX_NAME = 64 - ".memory_max_bytes".length;

/** A cgroup directory name → the container it is, if any (conmon's libpod-conmon-<id>.scope is not). */
export function scopeOf(name: string, parent: string): Omit<ContainerScope, "dir"> | undefined {
  const match = _SCOPE.exec(name);
  if (match) return { runtime: _RUNTIME[match[1]!]!, id: match[2]! };
  // The cgroupfs drivers: Docker's /sys/fs/cgroup/docker/<id>, a kubelet's kubepods/<qos>/pod<uid>/<id>.
  if (/^[0-9a-f]{64}$/.test(name)) {
    if (parent === "docker") return { runtime: "docker", id: name };
    if (/^pod[0-9a-f-]{32,36}$/.test(parent)) return { runtime: "containerd", id: name };
  }
  return undefined;
}

/**
 * cgroup v2 interface files are all `controller.name`; child cgroups are the entries without a dot
 * or ending in .slice/.service/.scope. Descending only into those keeps the walk to directories.
 */
function _isCgroupDir(name: string): boolean {
  return !name.includes(".") || /\.(slice|service|scope)$/.test(name);
}

export function findContainerScopes(list: (dir: string) => string[]): ContainerScope[] {
  const out: ContainerScope[] = [];
  const queue: [string, number][] = [[_CGROUP, 0]];
  let visited = 0;
  while (queue.length > 0 && visited < _MAX_DIRS) {
    const [dir, depth] = queue.shift()!;
    visited++;
    const parent = dir.slice(dir.lastIndexOf("/") + 1);
    for (const name of list(dir)) {
      if (!_isCgroupDir(name)) continue;
      const scope = scopeOf(name, parent);
      if (scope) out.push({ ...scope, dir: `${dir}/${name}` });
      else if (depth + 1 < _MAX_DEPTH) queue.push([`${dir}/${name}`, depth + 1]);
    }
  }
  return out;
}

/** cpu.stat text → usage_usec. */
export function parseCpuStatUsage(text: string | undefined): number | undefined {
  const match = /^usage_usec (\d+)$/m.exec(text ?? "");
  return match ? Number(match[1]) : undefined;
}

const _dockerConfig = v.object({ Name: v.string() });
const _podmanContainers = v.array(v.object({ id: v.string(), names: v.optional(v.array(v.string())) }));

function _json(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Podman's names by id: the rootful store and each user's rootless store under /home and /root. */
function _podmanNames(ic: ItemContext): Map<string, string> {
  const names = new Map<string, string>();
  const stores = [
    "/var/lib/containers/storage",
    "/root/.local/share/containers/storage",
    ...ic.probe.list("/home").map((user) => `/home/${user}/.local/share/containers/storage`),
  ];
  for (const store of stores) {
    const parsed = v.safeParse(_podmanContainers, _json(ic.probe.maybeText(`${store}/overlay-containers/containers.json`)));
    if (!parsed.success) continue;
    for (const c of parsed.output) if (c.names?.[0]) names.set(c.id, c.names[0]);
  }
  return names;
}

function _containerName(ic: ItemContext, scope: ContainerScope, podman: () => Map<string, string>): string {
  let name: string | undefined;
  if (scope.runtime === "docker") {
    const parsed = v.safeParse(_dockerConfig, _json(ic.probe.maybeText(`/var/lib/docker/containers/${scope.id}/config.v2.json`)));
    if (parsed.success) name = parsed.output.Name.replace(/^\//, "");
  } else if (scope.runtime === "podman") {
    name = podman().get(scope.id);
  }
  name = name?.trim().replace(/\s+/g, "_");
  return (name || scope.id.slice(0, 12)).slice(0, _MAX_NAME);
}

export interface ContainersSample {
  ms: number;
  bootId: string;
  /** usage_usec by `runtime:id`. */
  usage: Record<string, number>;
}

export function isContainersSample(json: unknown): json is ContainersSample {
  return isCounterSample(json, "usage");
}

/** CPU percent of one CPU between two usage readings; undefined without a usable earlier one. */
export function containerCpuPercent(before: number | undefined, after: number, windowMs: number): number | undefined {
  if (before === undefined || windowMs < 1000 || after < before) return undefined;
  return round(((after - before) / (windowMs * 1000)) * 100);
}

export interface ContainerReading {
  name: string;
  cpuPercent?: number;
  memoryBytes?: number;
  memoryMaxBytes?: number;
}

/** Readings → flat keys; a second container of the same name (Docker and Podman) becomes `name_2`. */
export function containerKeys(readings: ContainerReading[]): Record<string, number> {
  const out: Record<string, number> = {};
  const taken = new Set<string>();
  for (const r of readings) {
    let name = r.name;
    for (let n = 2; taken.has(name); n++) name = `${r.name.slice(0, _MAX_NAME - 1 - String(n).length)}_${n}`;
    taken.add(name);
    if (r.cpuPercent !== undefined) out[`${name}.cpu_percent`] = r.cpuPercent;
    if (r.memoryBytes !== undefined) out[`${name}.memory_bytes`] = r.memoryBytes;
    if (r.memoryMaxBytes !== undefined) out[`${name}.memory_max_bytes`] = r.memoryMaxBytes;
  }
  return out;
}

export const containers = defineItem({
  id: "containers",
  type: "number",
  read: (ic) => {
    const { probe } = ic;
    // cgroup v1 hosts have no unified hierarchy to read usage_usec from.
    if (probe.maybeText(`${_CGROUP}/cgroup.controllers`) === undefined) return undefined;
    const scopes = findContainerScopes(probe.list);
    if (scopes.length === 0) return undefined;
    const now = ic.now();
    const bootId = probe.maybeText("/proc/sys/kernel/random/boot_id")?.trim() ?? "";
    const stored = ic.readState(STATE_FILES.containersSample, isContainersSample);
    const previous = stored && stored.bootId === bootId ? stored : undefined;
    let podman: Map<string, string> | undefined;
    const podmanNames = () => (podman ??= _podmanNames(ic));
    const usage: Record<string, number> = {};
    const readings: ContainerReading[] = scopes.map((scope) => {
      const key = `${scope.runtime}:${scope.id}`;
      const used = parseCpuStatUsage(probe.maybeText(`${scope.dir}/cpu.stat`));
      if (used !== undefined) usage[key] = used;
      const max = sysValue(probe.maybeText(`${scope.dir}/memory.max`));
      return {
        name: _containerName(ic, scope, podmanNames),
        cpuPercent: used === undefined || !previous ? undefined : containerCpuPercent(previous.usage[key], used, now - previous.ms),
        memoryBytes: sysNumber(probe.maybeText(`${scope.dir}/memory.current`)),
        memoryMaxBytes: max === "max" ? undefined : sysNumber(max),
      };
    });
    ic.writeState(STATE_FILES.containersSample, { ms: now, bootId, usage } satisfies ContainersSample);
    const keys = containerKeys(readings);
    return Object.keys(keys).length === 0 ? undefined : keys;
  },
});
