#!/usr/bin/env python3
"""Compare two page snapshots (scripts/page-snapshot.py) ignoring whitespace and the clock.

    scripts/page-snapshot-compare.py [--strict] /tmp/before /tmp/after

For a template refactor: each page's HTML is normalised by collapsing whitespace between and
inside tags, and by replacing what depends on the wall clock of the demo (times of day, the
"N hours M minutes" ages of brokerage requests) so two demos started minutes apart compare equal. --strict keeps the whitespace between a tag
and text (collapsed to one space), which a browser may show.
Prints the pages that differ with a short unified diff of the normalised text, and exits 1 when
any page differs or exists on one side only. Standard library only.
"""
import difflib
import os
import re
import sys

CLOCK = [
    (re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?\b"), "HH:MM"),
    (re.compile(r"\b\d+ (hours?|minutes?|seconds?)\b"), "N \\1"),
]


STRICT = "--strict" in sys.argv


def normalise(text):
    for pattern, repl in CLOCK:
        text = pattern.sub(repl, text)
    text = re.sub(r"\s+", " ", text)
    if STRICT:
        # Only whitespace between two tags goes: "</strong> Good" stays apart from "</strong>Good".
        text = re.sub(r">\s+<", "><", text)
    else:
        text = re.sub(r">\s+", ">", text)
        text = re.sub(r"\s+<", "<", text)
    text = re.sub(r"\s+>", ">", text)
    return text.strip()


def lines(text):
    return normalise(text).replace("><", ">\n<").split("\n")


def files(root):
    out = set()
    for dirpath, _, names in os.walk(root):
        for n in names:
            out.add(os.path.relpath(os.path.join(dirpath, n), root))
    return out


def main():
    a, b = [x for x in sys.argv[1:] if not x.startswith("--")]
    fa, fb = files(a), files(b)
    bad = 0
    for only, side in ((fa - fb, a), (fb - fa, b)):
        for f in sorted(only):
            print(f"only in {side}: {f}")
            bad += 1
    for f in sorted(fa & fb):
        ta = open(os.path.join(a, f), encoding="utf-8", errors="replace").read()
        tb = open(os.path.join(b, f), encoding="utf-8", errors="replace").read()
        if normalise(ta) == normalise(tb):
            continue
        bad += 1
        print(f"differs: {f}")
        diff = difflib.unified_diff(lines(ta), lines(tb), a, b, n=1, lineterm="")
        for line in list(diff)[2:14]:
            print("   ", line[:200])
    print(f"{len(fa | fb)} pages, {bad} differ")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
