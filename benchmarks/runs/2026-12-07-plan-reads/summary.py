"""Ranges and medians of the paired rounds' rows/s (parse + apply) and apply seconds, by label.
Usage: python3 summary.py [LABEL ...] (in a folder of rounds; the labels default to this folder's)"""
import glob, re, collections, sys
d = collections.defaultdict(lambda: collections.defaultdict(list))
for f in sorted(glob.glob('round*.md')):
    label = re.match(r'round\d+-(\w+)\.md', f)[1]
    for line in open(f):
        if line.startswith('| SQLite') or line.startswith('| PostgreSQL'):
            c = [x.strip() for x in line.split('|')]
            d[c[1] + ' ' + c[2]][label].append((int(c[9].replace(',', '')), float(c[5].rstrip(' s'))))
for k, v in d.items():
    print(k)
    for label in sys.argv[1:] or ['before', 'plan', 'sizes', 'index']:
        xs = v[label]
        rates = sorted(x[0] for x in xs)
        applies = sorted(x[1] for x in xs)
        print(f"  {label:7s} rows/s {rates[0]:,}-{rates[-1]:,} (median {rates[len(rates)//2]:,}); apply {applies[0]:.2f}-{applies[-1]:.2f} s (median {applies[len(applies)//2]:.2f})")
