#!/usr/bin/env python3
"""Medians over several runs of benches/resample.rs.

    for i in 1 2 3 4 5; do
        BARGE_BENCH_CSV=$PWD/target/resample-runs.csv BARGE_BENCH_RUN=$i \\
            cargo bench -p barge-benches --bench resample
    done
    python3 benches/resample_medians.py target/resample-runs.csv

Each run appends its medians (run, bench id, ns per 10 ms frame) to the CSV,
and whether each converter met barge's spec in the bench's own measurement
(run, meets/<pair>/<type>/<converter>, 1 or 0). This prints, per pair and
sample type, the median over the runs of each converter's median (`*`:
below the spec), and the ratios speexdsp ÷ barge computed in each run (the
converters of a pair run one after another in the same run) and then taken
as their median over the runs; the peer is, in each run, the fastest
speexdsp quality that meets the spec. Then the same for the mixed-rate call
against the one-rate call. Markdown tables, as in benches/README.md.
"""

import collections
import csv
import statistics
import sys

QUALITIES = [2, 3, 4, 5]


def main(path):
    runs = collections.defaultdict(dict)  # run -> id -> ns
    meets = collections.defaultdict(dict)  # run -> id -> met the spec
    for run, bench, value in csv.reader(open(path)):
        if bench.startswith("meets/"):
            meets[run]["resample/" + bench[len("meets/"):]] = value == "1"
        else:
            runs[run][bench] = float(value)
    n = len(runs)
    pairs = []
    for bench in next(iter(runs.values())):
        parts = bench.split("/")
        if parts[0] == "resample" and (parts[1], parts[2]) not in pairs:
            pairs.append((parts[1], parts[2]))

    def med(key):
        vals = [r[key] for r in runs.values() if key in r]
        return statistics.median(vals) if vals else None

    def ratio(num, den):
        vals = [r[num] / r[den] for r in runs.values() if num in r and den in r]
        return statistics.median(vals) if vals else None

    def below(key):
        return any(m.get(key) is False for m in meets.values())

    def peer(base):
        """Per run: (quality, its ns ÷ barge's) of the fastest speexdsp
        quality that met the spec in that run."""
        out = []
        for run, r in runs.items():
            ok = [
                (r[base + f"speexdsp_q{q}"], q)
                for q in QUALITIES
                if meets[run].get(base + f"speexdsp_q{q}")
                and base + f"speexdsp_q{q}" in r
            ]
            if ok and base + "barge" in r:
                ns, q = min(ok)
                out.append((q, ns / r[base + "barge"]))
        return out

    print(f"medians of {n} runs, ns per 10 ms frame; ratios speexdsp ÷ barge (* below the spec)\n")
    head = "| pair | type | barge | " + " | ".join(f"q{q}" for q in QUALITIES)
    head += " | " + " | ".join(f"q{q} ÷ barge" for q in QUALITIES)
    head += " | peer | peer ÷ barge | lowest run | rubato | rubato ÷ barge |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for pair, ty in pairs:
        base = f"resample/{pair}/{ty}/"
        barge = med(base + "barge")
        mark = lambda q: "*" if below(base + f"speexdsp_q{q}") else ""
        cells = [f"{med(base + f'speexdsp_q{q}'):,.0f}{mark(q)}" for q in QUALITIES]
        ratios = [f"{ratio(base + f'speexdsp_q{q}', base + 'barge'):.2f}" for q in QUALITIES]
        p = peer(base)
        if p:
            qs = sorted({q for q, _ in p})
            peer_cells = [
                "/".join(f"q{q}" for q in qs),
                f"{statistics.median(x for _, x in p):.2f}",
                f"{min(x for _, x in p):.2f}",
            ]
        else:
            peer_cells = ["–", "–", "–"]
        rub = med(base + "rubato")
        rub_cells = [f"{rub:,.0f}", f"{ratio(base + 'rubato', base + 'barge'):.2f}"] if rub else ["–", "–"]
        a, b = pair.split("_")
        label = f"{a[:-1]} → {b[:-1]} kHz"
        print(
            f"| {label} | {ty} | {barge:,.0f} | "
            + " | ".join(cells + ratios + peer_cells + rub_cells)
            + " |"
        )
    mixed, one = "rates/call/mixed/10ms", "rates/call/one_rate/10ms"
    if med(mixed) and med(one):
        per_run = sorted(r[mixed] / r[one] for r in runs.values() if mixed in r and one in r)
        print(
            f"\nmixed-rate call {med(mixed):,.0f} ns, one-rate call {med(one):,.1f} ns: "
            f"{ratio(mixed, one):.1f}× (median of the runs' ratios; each run: "
            + ", ".join(f"{x:.1f}×" for x in per_run)
            + ")"
        )


if __name__ == "__main__":
    main(sys.argv[1])
