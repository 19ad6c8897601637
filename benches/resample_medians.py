#!/usr/bin/env python3
"""Medians over several runs of benches/resample.rs.

    for i in 1 2 3 4 5; do
        BARGE_BENCH_CSV=$PWD/target/resample-runs.csv BARGE_BENCH_RUN=$i \\
            cargo bench -p barge-benches --bench resample
    done
    python3 benches/resample_medians.py target/resample-runs.csv

Each run appends its medians (run, bench id, ns per 10 ms frame) to the CSV.
This prints, per pair and sample type, the median over the runs of each
converter's median, and the ratios speexdsp ÷ barge computed in each run
(the converters of a pair run one after another in the same run) and then
taken as their median over the runs; then the same for the mixed-rate call
against the one-rate call. Markdown tables, as in benches/README.md.
"""

import collections
import csv
import statistics
import sys

QUALITIES = [2, 3, 4, 5]


def main(path):
    runs = collections.defaultdict(dict)  # run -> id -> ns
    for run, bench, ns in csv.reader(open(path)):
        runs[run][bench] = float(ns)
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

    print(f"medians of {n} runs, ns per 10 ms frame; ratios speexdsp ÷ barge\n")
    head = "| pair | type | barge | " + " | ".join(f"q{q}" for q in QUALITIES)
    head += " | q2 ÷ barge | q3 ÷ barge | q4 ÷ barge | q5 ÷ barge | rubato | rubato ÷ barge |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for pair, ty in pairs:
        base = f"resample/{pair}/{ty}/"
        barge = med(base + "barge")
        cells = [f"{med(base + f'speexdsp_q{q}'):,.0f}" for q in QUALITIES]
        ratios = [f"{ratio(base + f'speexdsp_q{q}', base + 'barge'):.2f}" for q in QUALITIES]
        rub = med(base + "rubato")
        rub_cells = [f"{rub:,.0f}", f"{ratio(base + 'rubato', base + 'barge'):.2f}"] if rub else ["–", "–"]
        a, b = pair.split("_")
        label = f"{a[:-1]} → {b[:-1]} kHz"
        print(f"| {label} | {ty} | {barge:,.0f} | " + " | ".join(cells + ratios + rub_cells) + " |")
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
