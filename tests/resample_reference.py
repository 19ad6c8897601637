#!/usr/bin/env python3
"""barge's resampler against SciPy's `resample_poly`, an independent reference.

Run by tests/resample_reference.rs, which writes into DIR, for every pair of
rates, a set of tones and both sample types, the input (`*.in.f32`) and
barge's output (`*.out.f32`, little-endian f32; `i16` samples as fractions
of full scale) and a manifest `tones.csv` (from,to,hz,kind,samples,delay,
stem; kind is `pass` or `stop`, samples `f32` or `i16`, delay is barge's
stated delay in output samples).

For each tone, SciPy converts the same input with `resample_poly` through a
Kaiser filter that SciPy designs itself (`kaiserord` for 80 dB over the
same transition band, 0.85 to 1.15 × the lower Nyquist frequency,
`firwin`), and this script measures both outputs with its own least-squares
fit:

- a passband tone (up to 0.85 × the lower Nyquist frequency) comes out of
  both at the same level within 0.1 dB (and within 0.1 dB of the input's),
  with everything else at least 70 dB down in both;
- its phase in barge's output, less barge's stated delay, equals its phase
  in SciPy's (which has no delay) within 0.05 output samples;
- a tone that converting down must stop (from 1.15 × the lower Nyquist
  frequency up) is at least 70 dB down in both.

Prints one line per pair and exits non-zero on the first disagreement.
"""

import csv
import math
import os
import sys

import numpy as np
from scipy import signal


def reference(x, fin, fout):
    g = math.gcd(fin, fout)
    up, down = fout // g, fin // g
    grid = fin * up
    low = min(fin, fout)
    passband, stopband = 0.85 * low / 2, 1.15 * low / 2
    numtaps, beta = signal.kaiserord(80.0, (stopband - passband) / (grid / 2))
    numtaps |= 1  # odd: a whole-sample delay, which resample_poly removes
    h = signal.firwin(numtaps, (passband + stopband) / 2, window=("kaiser", beta), fs=grid)
    return signal.resample_poly(x.astype(np.float64), up, down, window=h)


def fit(y, f, rate):
    """Amplitude, phase and RMS of the rest of the component at f."""
    t = np.arange(len(y)) / rate
    basis = np.stack([np.sin(2 * np.pi * f * t), np.cos(2 * np.pi * f * t)], axis=1)
    (a, b), *_ = np.linalg.lstsq(basis, y, rcond=None)
    rest = y - basis @ np.array([a, b])
    # y = A sin(2πft + φ): a = A cos φ, b = A sin φ
    return math.hypot(a, b), math.atan2(b, a), float(np.sqrt(np.mean(rest**2)))


def db(x):
    return 20 * math.log10(max(x, 1e-300))


def main(folder):
    amp = 0.5
    rows = list(csv.DictReader(open(os.path.join(folder, "tones.csv"))))
    worst = {}
    failures = []
    for row in rows:
        fin, fout, f = int(row["from"]), int(row["to"]), float(row["hz"])
        samples = row["samples"]
        delay = float(row["delay"])
        x = np.fromfile(os.path.join(folder, row["stem"] + ".in.f32"), dtype="<f4")
        ours = np.fromfile(os.path.join(folder, row["stem"] + ".out.f32"), dtype="<f4").astype(np.float64)
        ref = reference(x, fin, fout)
        # Both outputs are steady after 50 ms and until 50 ms before the end
        # (SciPy's is zero-phase and sees the end of the input).
        skip = fout // 20
        ours_s = ours[skip : len(ours) - skip]
        ref_s = ref[skip : len(ours) - skip]
        key = (fin, fout, samples)
        w = worst.setdefault(key, {"level": 0.0, "rest_ours": -999.0, "rest_ref": -999.0, "phase": 0.0, "stop_ours": -999.0, "stop_ref": -999.0})
        if row["kind"] == "pass":
            a1, p1, r1 = fit(ours_s, f, fout)
            a2, p2, r2 = fit(ref_s, f, fout)
            diff = db(a1) - db(a2)
            rest1, rest2 = db(r1 / (amp / math.sqrt(2))), db(r2 / (amp / math.sqrt(2)))
            # barge's output is the reference delayed by `delay` samples.
            # Both fits start at sample `skip`; the phase of barge's is
            # that of the reference less 2πf·delay/fout.
            err = (p1 - p2 + 2 * np.pi * f * delay / fout + np.pi) % (2 * np.pi) - np.pi
            err_samples = err / (2 * np.pi * f) * fout
            w["level"] = max(w["level"], abs(diff), key=abs)
            w["rest_ours"] = max(w["rest_ours"], rest1)
            w["rest_ref"] = max(w["rest_ref"], rest2)
            w["phase"] = max(w["phase"], abs(err_samples))
            if abs(diff) > 0.1 or abs(db(a1 / amp)) > 0.1:
                failures.append(f"{fin}->{fout} {samples} {f:.0} Hz: level {db(a1 / amp):+.3f} dB, SciPy {db(a2 / amp):+.3f} dB")
            if rest1 > -70 or rest2 > -70:
                failures.append(f"{fin}->{fout} {samples} {f:.0} Hz: rest {rest1:.1f} dB, SciPy {rest2:.1f} dB")
            if abs(err_samples) > 0.05:
                failures.append(f"{fin}->{fout} {samples} {f:.0} Hz: delay off by {err_samples:.3f} samples")
        else:
            s1 = db(np.sqrt(np.mean(ours_s**2)) / (amp / math.sqrt(2)))
            s2 = db(np.sqrt(np.mean(ref_s**2)) / (amp / math.sqrt(2)))
            w["stop_ours"] = max(w["stop_ours"], s1)
            w["stop_ref"] = max(w["stop_ref"], s2)
            if s1 > -70 or s2 > -70:
                failures.append(f"{fin}->{fout} {samples} {f:.0} Hz: stopband {s1:.1f} dB, SciPy {s2:.1f} dB")
    print(f"{'pair':>13} {'type':>4}  {'level vs SciPy':>14}  {'rest barge/SciPy':>17}  {'delay err':>11}  {'stop barge/SciPy':>17}")
    for (fin, fout, samples), w in sorted(worst.items()):
        stop = f"{w['stop_ours']:6.1f} /{w['stop_ref']:6.1f}" if fin > fout else f"{'-':>15}"
        print(
            f"{fin:>5} -> {fout:<5} {samples:>4}  {w['level']:+11.4f} dB  {w['rest_ours']:6.1f} /{w['rest_ref']:6.1f} dB"
            f"  {w['phase']:7.4f} smp {stop} dB"
        )
    for f in failures:
        print("DISAGREES:", f)
    print(f"tones that agree: {len(rows) - len(failures)} of {len(rows)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
