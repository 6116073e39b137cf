# Server CPU time per request: utime+stime of the server process over N requests from T threads.
import http.client, os, re, sys, threading, time, urllib.parse
def sign_in(port, email):
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("GET", "/sign-in"); r = c.getresponse(); body = r.read().decode()
    cookies = {}
    def take(r):
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                n, val = v.split(";")[0].split("=", 1); cookies[n] = val
    take(r)
    tok = re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)
    form = urllib.parse.urlencode({"csrf_token": tok, "email": email, "password": "demo-password-1"})
    c.request("POST", "/sign-in", form, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})
    r = c.getresponse(); r.read(); take(r)
    assert r.status == 303, r.status
    return "; ".join(f"{k}={v}" for k, v in cookies.items())
def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
def measure(port, pid, path, cookie, n, threads):
    left = [n]; lock = threading.Lock(); sizes = set()
    def worker():
        c = http.client.HTTPConnection("127.0.0.1", port)
        while True:
            with lock:
                if left[0] <= 0: return
                left[0] -= 1
            c.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            r = c.getresponse(); b = r.read()
            assert r.status == 200, (path, r.status)
            sizes.add(len(b))
    c0 = cpu(pid); t0 = time.time()
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    [t.start() for t in ts]; [t.join() for t in ts]
    return (cpu(pid) - c0) / n * 1000, n / (time.time() - t0), max(sizes)
servers = [tuple(x.split(":")) for x in sys.argv[1].split(",")]  # label:port:pid
pages = ["/dashboard", "/services?kind=care_home_nursing&kind=care_home_residential&rating=good_or_outstanding&specialism=dementia&sort=rating", "/quality", "/quality/watch-list", "/directory?kind=care_home_residential&specialism=dementia"]
if len(sys.argv) > 3: pages = sys.argv[3].split(",")
rounds = int(sys.argv[2])
cookies = {port: sign_in(int(port), "quality@demo.caremarket.test") for _, port, _ in servers}
for rnd in range(rounds):
    for p in pages:
        for label, port, pid in servers:
            ck = "" if p.startswith("/directory") else cookies[port]
            ms, rps, size = measure(int(port), int(pid), p, ck, int(os.environ.get("N", "400")), 4)
            print(f"round {rnd+1} {label:7} {p:40} server CPU {ms:6.2f} ms/request  {rps:7.1f} req/s  {size} bytes", flush=True)
