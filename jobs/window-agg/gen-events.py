#!/usr/bin/env python3
"""Test input for window-agg: kcat -K: lines (key = origin, value = event JSON)
from the first N rows of flights-3m.csv.gz, in a shuffled arrival order
(each event delayed by up to --jitter hours, like concurrent producers),
plus a few events with unknown origins and one malformed message.

  gen-events.py N OUT [--late K] [--seed S] [--jitter H]

Writes OUT (the main stream) and, with --late K, OUT.late: K events taken
out of the main stream that are at least 6 h older than its newest event,
to be produced after OUT has been consumed (they are then behind any
watermark)."""
import argparse
import calendar
import gzip
import json
import os
import random
import time

ap = argparse.ArgumentParser()
ap.add_argument("n", type=int)
ap.add_argument("out")
ap.add_argument("--late", type=int, default=0)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--jitter", type=float, default=3.0)
ap.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                               "../../../shared/data/flights-3m.csv.gz"))
a = ap.parse_args()
rnd = random.Random(a.seed)

events = []
with gzip.open(a.data, "rt") as f:
    next(f)
    for i, line in enumerate(f):
        if i >= a.n:
            break
        date, delay, dist, origin, dest = line.rstrip("\n").split(",")
        ms = calendar.timegm(time.strptime(date, "%Y-%m-%d %H:%M")) * 1000
        events.append((ms, int(delay), int(dist), origin, dest, date, i + 1))
# a few unknown origins
for k in range(20):
    ms, delay, dist, _, dest, date, row = events[rnd.randrange(len(events))]
    events.append((ms, delay, dist, "ZZ%d" % (k % 3), dest, date, 0))

def line(e):
    ms, delay, dist, origin, dest, date, row = e
    v = {"date": date, "event_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000)),
         "event_ms": ms, "delay": delay, "distance": dist, "origin": origin, "destination": dest, "row": row}
    return origin + ":" + json.dumps(v, separators=(",", ":")) + "\n"

newest = max(e[0] for e in events)
late = []
if a.late:
    old = [i for i, e in enumerate(events) if e[0] <= newest - 6 * 3600 * 1000]
    pick = set(rnd.sample(old, a.late))
    late = [events[i] for i in sorted(pick)]
    events = [e for i, e in enumerate(events) if i not in pick]
# arrival order: event time plus a random delay of up to --jitter hours
events.sort(key=lambda e: e[0] + rnd.uniform(0, a.jitter * 3600 * 1000))
with open(a.out, "w") as f:
    for i, e in enumerate(events):
        f.write(line(e))
        if i == len(events) // 2:
            f.write("BAD:this is not json\n")
if a.late:
    rnd.shuffle(late)
    with open(a.out + ".late", "w") as f:
        for e in late:
            f.write(line(e))
