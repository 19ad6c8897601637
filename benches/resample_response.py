#!/usr/bin/env python3
"""Plots the measured magnitude response of barge's resampler.

    python3 benches/resample_response.py [out.png]

Runs the ignored test `write_response` of tests/resample.rs (in release),
which measures every pair of rates with tones through `Resampler`, and
plots 8 <-> 16, 8 <-> 48 and 16 <-> 48 kHz: on top the whole band of the
higher rate with the 70 dB requirement, below the passband within the
±0.1 dB requirement. Converting up, the level at a frequency is the output
at that frequency (the tone or one of its images); converting down, the
output level of an input tone at that frequency.
"""

import csv
import os
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "benches", "resample_response.png")
data = os.path.join(root, "target", "resample_response.csv")
subprocess.run(
    ["cargo", "test", "--release", "--quiet", "--test", "resample", "write_response", "--", "--ignored"],
    cwd=root,
    env={**os.environ, "BARGE_RESPONSE": data},
    check=True,
)

curves = {}
for row in csv.DictReader(open(data)):
    curves.setdefault((int(row["from"]), int(row["to"])), []).append((float(row["hz"]), float(row["db"])))

pairs = [(8000, 16000), (8000, 48000), (16000, 48000)]
fig, axes = plt.subplots(2, 3, figsize=(12, 6), sharey="row", gridspec_kw={"height_ratios": [3, 2]})
for col, (lo, hi) in enumerate(pairs):
    top, bottom = axes[0][col], axes[1][col]
    for (a, b), style in (((lo, hi), "-"), ((hi, lo), "--")):
        pts = sorted(curves[(a, b)])
        f = [p[0] / 1000 for p in pts]
        d = [max(p[1], -140.0) for p in pts]
        label = f"{a // 1000} → {b // 1000} kHz"
        top.plot(f, d, style, lw=1, label=label)
        band = [(x, y) for x, y in zip(f, d) if x <= 0.85 * lo / 2000 + 0.2]
        bottom.plot([x for x, _ in band], [y for _, y in band], style, lw=1, label=label)
    edge = 0.85 * lo / 2000
    top.axhline(-70, color="red", lw=0.8, ls=":")
    top.axvline(lo / 2000, color="grey", lw=0.8, ls=":")
    top.set_title(f"{lo // 1000} ↔ {hi // 1000} kHz")
    top.set_xlim(0, hi / 2000)
    top.set_ylim(-140, 5)
    top.legend(loc="lower left", fontsize=8)
    top.grid(alpha=0.3)
    bottom.axhspan(-0.1, 0.1, color="green", alpha=0.08)
    bottom.axvline(edge, color="grey", lw=0.8, ls=":")
    bottom.axvline(0.3, color="grey", lw=0.8, ls=":")
    bottom.set_xlim(0, edge + 0.2)
    bottom.set_ylim(-0.12, 0.12)
    bottom.set_xlabel("frequency at the higher rate (kHz)")
    bottom.grid(alpha=0.3)
axes[0][0].set_ylabel("level (dB)")
axes[1][0].set_ylabel("passband (dB)")
fig.suptitle("barge resampler, measured with tones: images/aliases ≥ 70 dB down (red), passband ±0.1 dB (green)", fontsize=10)
fig.tight_layout()
fig.savefig(out, dpi=72)
print(out, os.path.getsize(out), "bytes")
