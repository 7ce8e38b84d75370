#!/usr/bin/env python3
"""Late events of one topic under window-agg's and Spark's watermark rules
(issue 13: why the two jobs' late counts differ).

Input (stdin or a file): one line per message in the order a consumer read
it, "partition offset timestamp_ms row", as

  kcat -C -b $KAFKA_BOOTSTRAP_SERVERS -G late-rules-$RANDOM -o beginning -e \\
       -f '%p %o %T %s\\n' flights | sed -E 's/ \\{.*"row":([0-9]+).*/ \\1/'

(the message timestamp is the event time: flights-produce sets CreateTime =
event_ms; row % 2 is the producer's rank with two producers).

Rules, with D the watermark delay (--lateness, 1 h) and an event late when
its 1-hour window ends at or before the watermark:

  window-agg  the watermark is min over partitions of the max event time
              read so far in each, - D; it moves with every message (the job
              calls wm_update when a partition's max grows) and is unknown
              until every partition has data (jobs/window-agg/window-agg.c,
              on_message).
  spark       micro-batches of at most --max-offsets messages, split over
              the partitions in proportion to what each has left
              (KafkaMicroBatchStream.rateLimit). Batch b's watermark is the
              max event time of all batches before b, - D (0 for the first);
              late rows of batch b are judged with the watermark of batch
              b - 1 (Spark 4's default PropagateWatermarkSimulator:
              getInputWatermarkForLateEvents(b) = the input watermark of
              b - 1, "we use watermark for previous microbatch to determine
              late events"), i.e. with the max event time of batches <= b - 2.
              One input stream, so the global watermark is that stream's
              (spark.sql.streaming.multipleWatermarkPolicy applies across
              streams).

And three mixed rules that separate the differences: max over partitions
with a batch judged by its own watermark (Spark before SPARK-40925), min
over partitions the same way, and max over partitions moved with every
message in the consumer's order.

Prints the counts, and per rule the late events by producer rank.
"""
import argparse
import sys

H = 3600000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="?", default="-")
    ap.add_argument("--lateness-ms", type=int, default=H)
    ap.add_argument("--max-offsets", type=int, default=200000)
    ap.add_argument("--ranks", type=int, default=2)
    a = ap.parse_args()
    f = sys.stdin if a.file == "-" else open(a.file)
    order = []  # (partition, offset, ts, rank) in consumer order
    for line in f:
        p, o, t, r = line.split()
        order.append((int(p), int(o), int(t), int(r) % a.ranks))
    parts = sorted({m[0] for m in order})
    D = a.lateness_ms
    late = lambda ts, wm: wm is not None and (ts // H + 1) * H <= wm

    def tally(flags):
        by = [0] * a.ranks
        for m, fl in zip(order, flags):
            if fl:
                by[m[3]] += 1
        return sum(by), by

    # window-agg: per message, min over partitions
    mx = {}
    wm = None
    wa = []
    for p, o, t, r in order:
        if t > mx.get(p, -1 << 62):
            mx[p] = t
            if len(mx) == len(parts):
                m = min(mx.values()) - D
                if wm is None or m > wm:
                    wm = m
        wa.append(late(t, wm))
    # max, per message
    gmax = None
    xm = []
    for p, o, t, r in order:
        w = gmax - D if gmax is not None else None
        if gmax is None or t > gmax:
            gmax = t
            w = gmax - D
        xm.append(late(t, w))

    # Spark's batches: per partition, messages by offset
    by_part = {p: sorted((o, t, i) for i, (pp, o, t, r) in enumerate(order) if pp == p) for p in parts}
    end = {p: len(by_part[p]) for p in parts}  # offsets from 0 here: positions
    frm = {p: 0 for p in parts}
    sp = [False] * len(order)   # Spark 4: the watermark of the batch before
    sp1 = [False] * len(order)  # the batch's own watermark (max of the batches before)
    mb = [False] * len(order)   # min over partitions, the batch's own watermark
    s_wm = [0]        # batch b's watermark: max event time of batches < b, - D (0 at first)
    m_wm = None       # min over partitions of the earlier batches' max - D
    gmax = None
    pmax = {}
    nb = 0
    while any(frm[p] < end[p] for p in parts):
        sizes = {p: end[p] - frm[p] for p in parts if end[p] > frm[p]}
        total = float(sum(sizes.values()))
        until = {}
        for p in parts:
            if p not in sizes:
                until[p] = end[p]
                continue
            pr = a.max_offsets * (sizes[p] / total)
            prl = int(pr) if pr >= 1 else (1 if pr > 0 else 0)
            until[p] = min(end[p], frm[p] + prl)
        late_wm = s_wm[nb - 1] if nb >= 1 else 0
        for p in parts:
            for o, t, i in by_part[p][frm[p]:until[p]]:
                sp[i] = late(t, late_wm or None)
                sp1[i] = late(t, s_wm[nb] or None)
                mb[i] = late(t, m_wm)
                gmax = t if gmax is None or t > gmax else gmax
                pmax[p] = max(pmax.get(p, t), t)
        s_wm.append(max(s_wm[nb], gmax - D))
        if len(pmax) == len(parts):
            m = min(pmax.values()) - D
            if m_wm is None or m > m_wm:
                m_wm = m
        frm = until
        nb += 1

    # how far behind its partition's max event time each message was when read
    # (window-agg can only call an event late when it is more than the
    # lateness behind its own partition's max: the watermark is at most that
    # max - D), per producer rank
    buckets = [(H, "< 1 h"), (2 * H, "1-2 h"), (6 * H, "2-6 h"), (24 * H, "6-24 h"), (1 << 62, ">= 24 h")]
    hist = [[0] * len(buckets) for _ in range(a.ranks)]
    mx = {}
    for p, o, t, r in order:
        lag = mx.get(p, t) - t
        mx[p] = max(mx.get(p, t), t)
        hist[r][next(k for k, (b, _) in enumerate(buckets) if lag < b)] += 1
    n = len(order)
    print("behind its partition's max event time when read, per producer rank:")
    for r in range(a.ranks):
        print(f"  rank {r}: " + ", ".join(f"{name} {c:,}" for (b, name), c in zip(buckets, hist[r])))
    print(f"{n} messages, {len(parts)} partitions, lateness {D} ms; Spark: {nb} batches of at most {a.max_offsets}")
    print("| rule | watermark over partitions | moves | late | late by producer rank |")
    print("|---|---|---|---|---|")
    for name, over, moves, fl in (("window-agg", "min", "with every message", wa),
                                  ("aggregate-spark (Spark 4)", "max", "between batches; a batch is judged with the batch before's", sp),
                                  ("mixed", "max", "between batches; a batch is judged with its own", sp1),
                                  ("mixed", "min", "between batches; a batch is judged with its own", mb),
                                  ("mixed", "max", "with every message", xm)):
        c, by = tally(fl)
        print(f"| {name} | {over} | {moves} | {c:,} ({100.0 * c / n:.2f} %) | {' / '.join(f'{x:,}' for x in by)} |")


if __name__ == "__main__":
    main()
