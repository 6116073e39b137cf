#!/usr/bin/env python3
"""Snapshot every page each demo role can reach, so a refactor can be checked for changed pages.

    scripts/page-snapshot.py http://127.0.0.1:8080 /tmp/before
    ... change the code, restart the demo (same seed, same day) ...
    scripts/page-snapshot.py http://127.0.0.1:8080 /tmp/after
    diff -r /tmp/before /tmp/after

Signs in as each demo account, follows every same-site link breadth-first (GET only, never
sign-out), and writes each page's HTML with the things that differ between two runs of the same
demo replaced: record ids (UUIDs), CSRF tokens, and the time a page was rendered. A page is
named by its path with ids replaced, so the first record a list links to is compared with the
first record in the other run. At most SNAPSHOT_MAX_PAGES pages a role (5,000: the demo's
admin reaches about 700) and SNAPSHOT_PER_PATTERN pages of each path pattern (2). Compare two
snapshots with scripts/page-snapshot-compare.py. Standard library only.
"""
import html.parser
import http.cookiejar
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections import deque

PASSWORD = "demo-password-1"
ROLES = ["admin", "commissioner", "quality", "brokerage", "dp", "viewer", "provider", None]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CLOCK = re.compile(r"\b\d{2}:\d{2}(:\d{2})?( UTC)?\b|\b\d+ (hours?|minutes?|seconds?)\b")
CSRF = re.compile(r'(name="csrf_token" value=")[^"]*(")')
SKIP = re.compile(r"/sign-out|/static/|/assets/|\.(docx|xlsx|pdf|png|ico|css|js)$")
MAX_PAGES = int(os.environ.get("SNAPSHOT_MAX_PAGES", "5000"))
PER_PATTERN = int(os.environ.get("SNAPSHOT_PER_PATTERN", "2"))


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            for k, v in attrs:
                if k == "href" and v:
                    self.hrefs.append(v)


def normalise(text):
    text = CSRF.sub(r"\1CSRF\2", text)
    text = CLOCK.sub("TIME", text)
    return UUID.sub("ID", text)


def crawl(base, role, out):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    if role:
        page = opener.open(base + "/sign-in").read().decode()
        token = re.search(r'name="csrf_token" value="([^"]*)"', page).group(1)
        data = urllib.parse.urlencode(
            {"email": f"{role}@demo.caremarket.test", "password": PASSWORD, "csrf_token": token}
        ).encode()
        opener.open(base + "/sign-in", data)
    name = role or "public"
    start = ["/", "/directory", "/pa-register"] if not role else ["/"]
    queue = deque(start)
    seen_urls, per_pattern, saved = set(start), {}, 0
    while queue and saved < MAX_PAGES:
        path = queue.popleft()
        pattern = UUID.sub("ID", path)
        if per_pattern.get(pattern, 0) >= PER_PATTERN:
            continue
        per_pattern[pattern] = per_pattern.get(pattern, 0) + 1
        try:
            resp = opener.open(base + path)
            status, body, final = resp.status, resp.read().decode("utf-8", "replace"), resp.geturl()
        except urllib.error.HTTPError as e:
            status, body, final = e.code, e.read().decode("utf-8", "replace"), base + path
        key = f"{pattern}#{per_pattern[pattern]}"
        fname = re.sub(r"[^A-Za-z0-9._=-]+", "_", key).strip("_") or "root"
        with open(os.path.join(out, name, fname[:200]), "w") as f:
            f.write(f"GET {pattern} -> {status} {UUID.sub('ID', final.replace(base, ''))}\n")
            f.write(normalise(body))
        saved += 1
        parser = Links()
        parser.feed(body)
        for href in parser.hrefs:
            url = urllib.parse.urljoin(base + path, href)
            if not url.startswith(base):
                continue
            rel = url[len(base):].split("#")[0]
            if not rel.startswith("/") or SKIP.search(rel) or rel in seen_urls:
                continue
            seen_urls.add(rel)
            queue.append(rel)
    print(f"{name}: {saved} pages")


def main():
    base, out = sys.argv[1].rstrip("/"), sys.argv[2]
    for role in ROLES:
        os.makedirs(os.path.join(out, role or "public"), exist_ok=True)
        crawl(base, role, out)


if __name__ == "__main__":
    main()
