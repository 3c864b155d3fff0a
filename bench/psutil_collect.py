#!/usr/bin/python3
"""The reference: the items of `bagtower collect`, read with psutil the way the BAG·Tower push
script did, without waiting for a CPU sample (cpu_percent(interval=None)), printed as one JSON line."""
import json
import os
import platform
import time

import psutil


def main():
    conns = psutil.net_connections(kind="tcp")
    closing = {psutil.CONN_FIN_WAIT1, psutil.CONN_FIN_WAIT2, psutil.CONN_TIME_WAIT,
               psutil.CONN_CLOSE_WAIT, psutil.CONN_LAST_ACK, psutil.CONN_CLOSING}
    battery = psutil.sensors_battery()
    temps = {}
    for name, entries in psutil.sensors_temperatures().items():
        for e in entries:
            temps[f"{name}/{e.label or 'temp'}"] = e.current
    freq = psutil.cpu_freq()
    net = psutil.net_io_counters()
    filesystems = {}
    for part in psutil.disk_partitions(all=False):
        try:
            filesystems[part.mountpoint] = psutil.disk_usage(part.mountpoint).percent
        except OSError:
            pass
    mem = psutil.virtual_memory()
    data = [
        {"id": "deviceStatus", "type": "string", "val": "UP"},
        {"id": "cpu", "type": "percent", "val": psutil.cpu_percent(interval=None)},
        {"id": "cpu_per_cpu", "type": "percent", "val": psutil.cpu_percent(interval=None, percpu=True)},
        {"id": "memory", "type": "percent", "val": mem.percent},
        {"id": "diskusage", "type": "percent", "val": psutil.disk_usage("/").percent},
        {"id": "last_boot", "type": "string", "val": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(psutil.boot_time()))},
        {"id": "battery_status", "type": "string",
         "val": "NO_BATTERY" if battery is None else ("PLUGGED" if battery.power_plugged else "UNPLUGGED")},
        {"id": "sockets_info", "type": "count", "val": {
            "nb_established": sum(c.status == psutil.CONN_ESTABLISHED for c in conns),
            "nb_sockets_closing": sum(c.status in closing for c in conns),
            "nb_sockets_close": sum(c.status == psutil.CONN_CLOSE for c in conns),
            "nb_sockets_listen": sum(c.status == psutil.CONN_LISTEN for c in conns)}},
        {"id": "load", "type": "number", "val": dict(zip(["1m", "5m", "15m"], os.getloadavg()))},
        {"id": "uptime", "type": "seconds", "val": time.time() - psutil.boot_time()},
        {"id": "memory_bytes", "type": "bytes",
         "val": {"total": mem.total, "available": mem.available, "used": mem.used, "free": mem.free}},
        {"id": "temperature", "type": "celsius", "val": temps},
        {"id": "cpu_frequency", "type": "mhz", "val": freq.current if freq else None},
        {"id": "network", "type": "counter", "val": {"bytes_sent": net.bytes_sent, "bytes_received": net.bytes_recv,
                                                     "packets_sent": net.packets_sent, "packets_received": net.packets_recv}},
        {"id": "filesystems", "type": "percent", "val": filesystems},
        {"id": "battery", "type": "percent", "val": {"percent": battery.percent} if battery else None},
        {"id": "processes", "type": "count", "val": len(psutil.pids())},
        {"id": "system", "type": "string", "val": {"kernel": platform.release(), "arch": platform.machine()}},
    ]
    print(json.dumps({"unixTimestamp": int(time.time()), "data": data}))


main()
