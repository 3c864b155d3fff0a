// Table tests of the pure parsers behind power, gpu, storage_health, disk_io, containers and top_processes.
import { describe, expect, test } from "bun:test";
import { containerCpuPercent, containerKeys, findContainerScopes, parseCpuStatUsage, scopeOf } from "../../src/collect/items/containers.ts";
import { diskIoKeys, parseDiskstats, realDisks, type DiskCounters } from "../../src/collect/items/disk-io.ts";
import { gpuKeys, parseDpmClock, perMilleToPercent } from "../../src/collect/items/gpu.ts";
import { interfaceKeys } from "../../src/collect/items/network-interfaces.ts";
import { parseNetDev } from "../../src/collect/items/network.ts";
import { parseThrottled, throttledFlags } from "../../src/collect/items/power.ts";
import { lifeTimePercent, parseLifeTime, parsePreEol } from "../../src/collect/items/storage-health.ts";
import { parseProcStat, parseVmRss, processCpuPercents, topProcesses, type ProcStat } from "../../src/collect/items/top-processes.ts";

describe("power: get_throttled", () => {
  test.each([
    ["sysfs hex", "50005\n", 0x50005],
    ["vcgencmd's 0x form", "0x80008\n", 0x80008],
    ["zero", "0\n", 0],
    ["empty", "", undefined],
    ["missing", undefined, undefined],
    ["not hex", "throttled\n", undefined],
    ["too long", "123456789\n", undefined],
  ])("parseThrottled %s", (_, text, bits) => expect(parseThrottled(text)).toBe(bits));

  test.each([
    [0, {}],
    [0x1, { under_voltage: 1 }],
    [0x50005, { under_voltage: 1, throttled: 1, under_voltage_since_boot: 1, throttled_since_boot: 1 }],
    [0xf000f, { under_voltage: 1, freq_capped: 1, throttled: 1, soft_temp_limit: 1, under_voltage_since_boot: 1, freq_capped_since_boot: 1, throttled_since_boot: 1, soft_temp_limit_since_boot: 1 }],
    [0x80000, { soft_temp_limit_since_boot: 1 }],
    [0xfff0_fff0, {}],
  ] as const)("throttledFlags(%p)", (bits, set) => {
    const flags = throttledFlags(bits);
    expect(Object.keys(flags)).toHaveLength(8);
    for (const [k, value] of Object.entries(flags)) expect([k, value]).toEqual([k, (set as Record<string, number>)[k] ?? 0]);
  });
});

describe("gpu", () => {
  test.each([
    ["current line marked", "0: 500Mhz\n1: 1800Mhz *\n2: 2100Mhz\n", 1800],
    ["no mark", "0: 500Mhz\n1: 1800Mhz\n", undefined],
    ["empty", "", undefined],
    ["missing", undefined, undefined],
    ["malformed", "junk *\n", undefined],
  ])("parseDpmClock %s", (_, text, mhz) => expect(parseDpmClock(text)).toBe(mhz));
  test.each([
    [473, 47.3],
    [0, 0],
    [1000, 100],
    [1200, 100],
    [undefined, undefined],
  ])("perMilleToPercent(%p)", (value, percent) => expect(perMilleToPercent(value)).toBe(percent));
  test("gpuKeys numbers each GPU and skips what it lacks", () =>
    expect(gpuKeys([{ load: 12, mhz: 900 }, { celsius: 50 }, {}])).toEqual({ "gpu0.load": 12, "gpu0.mhz": 900, "gpu1.celsius": 50 }));
});

describe("storage_health", () => {
  test.each([
    [0, undefined],
    [1, 10],
    [2, 20],
    [9, 90],
    [10, 100],
    [11, 100],
    [12, undefined],
  ])("lifeTimePercent(%p)", (code, percent) => expect(lifeTimePercent(code)).toBe(percent));
  test.each([
    ["both", "0x02 0x01\n", { wear_a: 20, wear_b: 10 }],
    ["worn out", "0x0A 0x0B\n", { wear_a: 100, wear_b: 100 }],
    ["B not defined", "0x03 0x00\n", { wear_a: 30 }],
    ["one value", "0x04\n", { wear_a: 40 }],
    ["empty", "", {}],
    ["missing", undefined, {}],
    ["decimal, not JEDEC hex", "2 1\n", {}],
  ])("parseLifeTime %s", (_, text, wear) => expect(parseLifeTime(text)).toEqual(wear));
  test.each([
    ["normal", "0x01\n", 1],
    ["warning", "0x02\n", 2],
    ["urgent", "0x03\n", 3],
    ["not defined", "0x00\n", undefined],
    ["reserved", "0x04\n", undefined],
    ["empty", "", undefined],
  ])("parsePreEol %s", (_, text, level) => expect(parsePreEol(text)).toBe(level));
});

describe("disk_io", () => {
  const line = (name: string, sectorsRead: number, sectorsWritten: number, ioMs: number) =>
    `   8       0 ${name} 100 2 ${sectorsRead} 50 200 4 ${sectorsWritten} 80 0 ${ioMs} 130`;
  test.each([
    ["kernel 2.6 (11 fields)", line("sda", 10, 20, 30), [{ name: "sda", readBytes: 5120, writtenBytes: 10240, ioMs: 30 }]],
    ["kernel 5.5 (17 fields)", `${line("sda", 10, 20, 30)} 0 0 0 0 5 7`, [{ name: "sda", readBytes: 5120, writtenBytes: 10240, ioMs: 30 }]],
    ["empty", "", []],
    ["truncated line", "   8       0 sda 100 2 10", []],
    ["malformed number", line("sda", 10, 20, 30).replace(" 100 ", " x "), []],
    ["one field short", line("sda", 10, 20, 30).replace(/ 130$/, ""), []],
    ["a negative count", line("sda", 10, 20, 30).replace(" 50 ", " -50 "), []],
    ["the last counted field with junk after it", `${line("sda", 10, 20, 30)}x`, []],
    ["two devices, tabs and padding", `${line("sda", 10, 20, 30)}\n\t 259\t0 nvme0n1 1 2 4 4 5 6 8 8 9 10 11\n`, [
      { name: "sda", readBytes: 5120, writtenBytes: 10240, ioMs: 30 },
      { name: "nvme0n1", readBytes: 2048, writtenBytes: 4096, ioMs: 10 },
    ]],
  ])("parseDiskstats %s", (_, text, disks) => expect(parseDiskstats(text)).toEqual(disks));

  const d = (name: string, io = 1): DiskCounters => ({ name, readBytes: io, writtenBytes: 0, ioMs: io });
  test.each([
    ["/sys/block says which are disks", [d("sda"), d("sda1"), d("loop0"), d("nvme0n1")], ["sda", "loop0", "nvme0n1"], ["sda", "nvme0n1"]],
    ["without /sys/block, partitions by name", [d("sda"), d("sda1"), d("nvme0n1"), d("nvme0n1p2"), d("mmcblk0"), d("mmcblk0p1"), d("xvda1"), d("vdb")], [], ["sda", "nvme0n1", "mmcblk0", "vdb"]],
    ["ram, zram, floppy, eMMC boot areas never", [d("ram0"), d("zram0"), d("fd0"), d("mmcblk0boot0"), d("mmcblk0rpmb"), d("mmcblk0")], [], ["mmcblk0"]],
    ["dm only beside disks: skipped", [d("sda"), d("dm-0"), d("dm-1")], ["sda", "dm-0", "dm-1"], ["sda"]],
    ["dm when it is the only view", [d("dm-0"), d("dm-1")], ["dm-0", "dm-1"], ["dm-0", "dm-1"]],
    ["no I/O since boot (idle nbd)", [d("nbd0", 0), d("sda")], ["nbd0", "sda"], ["sda"]],
  ])("realDisks: %s", (_, disks, whole, names) => expect(realDisks(disks, whole).map((x) => x.name)).toEqual(names));
  test("diskIoKeys", () =>
    expect(diskIoKeys([{ name: "sda", readBytes: 1, writtenBytes: 2, ioMs: 3 }])).toEqual({ "sda.read_bytes": 1, "sda.written_bytes": 2, "sda.io_ms": 3 }));
});

describe("network_interfaces", () => {
  const dev = "  lo: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n eth0: 100 2 0 0 0 0 0 0 50 1 0 0 0 0 0 0\nwlan0: 7 1 0 0 0 0 0 0 3 1 0 0 0 0 0 0\n vethx: 9 9 0 0 0 0 0 0 9 9 0 0 0 0 0 0\n";
  test("per interface, without lo and bridge members", () =>
    expect(interfaceKeys(parseNetDev(dev), new Set(["vethx"]))).toEqual({
      "eth0.bytes_sent": 50, "eth0.bytes_received": 100, "eth0.packets_sent": 1, "eth0.packets_received": 2,
      "wlan0.bytes_sent": 3, "wlan0.bytes_received": 7, "wlan0.packets_sent": 1, "wlan0.packets_received": 1,
    }));
  test("empty", () => expect(interfaceKeys(parseNetDev(""))).toEqual({}));
});

describe("containers", () => {
  const id = "ab".repeat(32);
  test.each([
    ["docker systemd driver", `docker-${id}.scope`, "system.slice", { runtime: "docker", id }],
    ["docker cgroupfs driver", id, "docker", { runtime: "docker", id }],
    ["podman", `libpod-${id}.scope`, "machine.slice", { runtime: "podman", id }],
    ["containerd (k8s)", `cri-containerd-${id}.scope`, "kubepods-pod1.slice", { runtime: "containerd", id }],
    ["cri-o", `crio-${id}.scope`, "kubepods-pod1.slice", { runtime: "crio", id }],
    ["kubelet cgroupfs driver", id, "pod0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b", { runtime: "containerd", id }],
    ["a 64-hex directory elsewhere", id, "system.slice", undefined],
    ["conmon is not a container", `libpod-conmon-${id}.scope`, "machine.slice", undefined],
    ["short id", "docker-abc.scope", "system.slice", undefined],
    ["a service", "docker.service", "system.slice", undefined],
  ])("scopeOf: %s", (_, name, parent, scope) => expect(scopeOf(name, parent)).toEqual(scope as never));

  test("findContainerScopes walks directories only, to a bounded depth", () => {
    const tree: Record<string, string[]> = {
      "/sys/fs/cgroup": ["cgroup.procs", "system.slice", "docker", "deep"],
      "/sys/fs/cgroup/system.slice": ["cpu.stat", `docker-${id}.scope`],
      "/sys/fs/cgroup/docker": [id],
      "/sys/fs/cgroup/deep": ["a"],
      "/sys/fs/cgroup/deep/a": ["b"],
      "/sys/fs/cgroup/deep/a/b": ["c"],
      "/sys/fs/cgroup/deep/a/b/c": ["d"],
      "/sys/fs/cgroup/deep/a/b/c/d": ["e"],
      "/sys/fs/cgroup/deep/a/b/c/d/e": ["f"],
      "/sys/fs/cgroup/deep/a/b/c/d/e/f": ["g"],
      "/sys/fs/cgroup/deep/a/b/c/d/e/f/g": [`libpod-${id}.scope`],
    };
    const listed: string[] = [];
    const scopes = findContainerScopes((dir) => (listed.push(dir), tree[dir] ?? []));
    expect(scopes.map((s) => s.dir)).toEqual([`/sys/fs/cgroup/system.slice/docker-${id}.scope`, `/sys/fs/cgroup/docker/${id}`]);
    expect(listed).not.toContain("/sys/fs/cgroup/cgroup.procs");
    expect(listed).not.toContain("/sys/fs/cgroup/deep/a/b/c/d/e/f/g");
  });

  test.each([
    ["normal", "usage_usec 1234\nuser_usec 1000\n", 1234],
    ["not first line", "nr_periods 0\nusage_usec 5\n", 5],
    ["empty", "", undefined],
    ["missing", undefined, undefined],
  ])("parseCpuStatUsage %s", (_, text, usec) => expect(parseCpuStatUsage(text)).toBe(usec));

  test.each([
    ["one core busy for 60 s", 0, 60_000_000, 60_000, 100],
    ["two and a half cores", 1_000_000, 151_000_000, 60_000, 250],
    ["no earlier reading", undefined, 5, 60_000, undefined],
    ["window under a second", 0, 5, 500, undefined],
    ["counter went back (container restarted)", 10, 5, 60_000, undefined],
  ])("containerCpuPercent: %s", (_, before, after, windowMs, percent) => expect(containerCpuPercent(before, after, windowMs)).toBe(percent));

  test("containerKeys: units in the key, a repeated name numbered", () =>
    expect(containerKeys([{ name: "web", cpuPercent: 1.5, memoryBytes: 10 }, { name: "web", memoryBytes: 20, memoryMaxBytes: 30 }])).toEqual({
      "web.cpu_percent": 1.5, "web.memory_bytes": 10, "web_2.memory_bytes": 20, "web_2.memory_max_bytes": 30,
    }));
});

describe("top_processes", () => {
  const stat = (pid: number, comm: string, utime: number, stime: number, start: number, rss: number) =>
    `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 4194560 100 0 1 0 ${utime} ${stime} 0 0 20 0 1 0 ${start} 1000000 ${rss} 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0`;
  test.each([
    ["normal", stat(42, "node", 100, 50, 300, 2048), { pid: 42, comm: "node", ticks: 150, starttime: 300, rssPages: 2048 }],
    ["comm with spaces and parentheses", stat(7, "a) (b c", 1, 2, 3, 4), { pid: 7, comm: "a) (b c", ticks: 3, starttime: 3, rssPages: 4 }],
    ["empty", "", undefined],
    ["truncated", "42 (node) S 1 2 3", undefined],
    ["no comm", "42 node S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22", undefined],
    ["malformed number", stat(42, "node", 100, 50, 300, 2048).replace(" 100 50 ", " x 50 "), undefined],
    ["as the kernel prints it, with its newline", `${stat(9, "sh", 5, 6, 7, 8)}\n`, { pid: 9, comm: "sh", ticks: 11, starttime: 7, rssPages: 8 }],
    ["a negative rss counts as none", stat(9, "sh", 5, 6, 7, -3), { pid: 9, comm: "sh", ticks: 11, starttime: 7, rssPages: 0 }],
    ["the last field used is the last field", stat(9, "sh", 5, 6, 7, 8).split(" ").slice(0, 24).join(" "), { pid: 9, comm: "sh", ticks: 11, starttime: 7, rssPages: 8 }],
    ["one field short", stat(9, "sh", 5, 6, 7, 8).split(" ").slice(0, 23).join(" "), undefined],
  ])("parseProcStat %s", (_, text, parsed) => expect(parseProcStat(text)).toEqual(parsed as never));

  test.each([
    ["normal", "Name:\tnode\nVmRSS:\t  1024 kB\n", 1048576],
    ["kernel thread", "Name:\tkthreadd\n", undefined],
    ["missing", undefined, undefined],
  ])("parseVmRss %s", (_, text, bytes) => expect(parseVmRss(text)).toBe(bytes));

  const p = (pid: number, ticks: number, starttime: number, rssPages = 0): ProcStat => ({ pid, comm: `p${pid}`, ticks, starttime, rssPages });
  test("CPU over the window when the previous run knew the process, else over its life within the window", () => {
    const previous = { ms: 1_000_000, bootId: "b", ticks: { "1:100": 1000, "2:200": 500 } };
    const cpu = processCpuPercents([p(1, 7000, 100), p(2, 500, 200), p(3, 300, 99_000), p(4, 100, 200)], 1000, 1_060_000, previous);
    // pid 1: 60 s of CPU in a 60 s window; pid 2 idle; pid 3 born 10 s ago (uptime 1000 s, start 990 s) used 3 s;
    // pid 4 unknown to the previous run but older than the window: measured over the window.
    expect([...cpu]).toEqual([[1, 100], [2, 0], [3, 30], [4, 1.7]]);
  });
  test("first run: every process over its life, as ps shows it", () =>
    expect([...processCpuPercents([p(1, 5000, 0), p(2, 100, 90_000)], 1000, 0, undefined)]).toEqual([[1, 5], [2, 1]]));

  test("the two top-5 lists; idle and memoryless processes are left out", () => {
    const procs = [1, 2, 3, 4, 5, 6, 7].map((pid) => p(pid, 0, 0, pid * 256));
    const cpu = new Map([[1, 5], [2, 50], [3, 0], [4, 12.5], [5, 1], [6, 2], [7, 3]]);
    expect(topProcesses([...procs, p(8, 0, 0, 0)], cpu, (x) => x.rssPages * 4096)).toEqual({
      cpu1: "p2 [2] 50%", cpu2: "p4 [4] 12.5%", cpu3: "p1 [1] 5%", cpu4: "p7 [7] 3%", cpu5: "p6 [6] 2%",
      rss1: "p7 [7] 7 MiB", rss2: "p6 [6] 6 MiB", rss3: "p5 [5] 5 MiB", rss4: "p4 [4] 4 MiB", rss5: "p3 [3] 3 MiB",
    });
  });

  test("the lists are the first five of a full sort (highest first, ties by lower pid), on random hosts with ties", () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 300; round++) {
      const count = Math.floor(rand() * 30);
      const pids = [...new Set(Array.from({ length: count }, () => 1 + Math.floor(rand() * 500)))].sort(() => rand() - 0.5);
      const procs = pids.map((pid) => p(pid, 0, 0, Math.floor(rand() * 4) * 256));
      const cpu = new Map(pids.map((pid) => [pid, Math.floor(rand() * 4) * 2.5]));
      const rss = (x: ProcStat) => x.rssPages * 4096;
      const top = (score: (x: ProcStat) => number) => procs.filter((x) => score(x) > 0).sort((a, b) => score(b) - score(a) || a.pid - b.pid).slice(0, 5);
      const expected: Record<string, string> = {};
      top((x) => cpu.get(x.pid)!).forEach((x, i) => (expected[`cpu${i + 1}`] = `p${x.pid} [${x.pid}] ${cpu.get(x.pid)}%`));
      top((x) => x.rssPages).forEach((x, i) => (expected[`rss${i + 1}`] = `p${x.pid} [${x.pid}] ${x.rssPages / 256} MiB`));
      expect(topProcesses(procs, cpu, rss)).toEqual(expected);
    }
  });
});
