//! The kernel's loops for `f32` samples: sums in `f32`, clamped to full
//! scale once; a non-finite sample reaches nobody.

use super::*;

impl private::Kernel for f32 {
    type Acc = f32;
    type KGain = f32;

    fn kgain(linear: f32) -> f32 {
        linear
    }
    fn is_unity(g: f32) -> bool {
        g == 1.0
    }
    fn is_zero(g: f32) -> bool {
        g == 0.0
    }
    fn add(acc: &mut [f32], x: &[f32]) {
        for (a, &s) in acc.iter_mut().zip(x) {
            *a += s;
        }
    }
    fn add_scaled(acc: &mut [f32], x: &[f32], g: f32) {
        for (a, &s) in acc.iter_mut().zip(x) {
            *a += s * g;
        }
    }
    fn add_ramp(acc: &mut [f32], x: &[f32], from: f32, to: f32, first: usize, len: usize) {
        let step = (to - from) / len.max(1) as f32;
        let n = acc.len().min(x.len());
        let ramping = len.saturating_sub(first + 1).min(n);
        let (acc, steady_acc) = acc[..n].split_at_mut(ramping);
        let (x, steady_x) = x[..n].split_at(ramping);
        for (i, (a, &s)) in acc.iter_mut().zip(x).enumerate() {
            let k = first + i + 1;
            *a += s * (from + step * k as f32);
        }
        // From `k = len` on the route is steady at `to`, as in later blocks.
        add_steady(steady_acc, steady_x, to);
    }
    fn mix_ramp(
        out: &mut [f32],
        steady: Option<&[f32]>,
        x: &[f32],
        from: f32,
        to: f32,
        len: usize,
    ) -> usize {
        mix_ramp_f32(out, steady, x, from, to, len)
    }
    fn open_gains(gains: &mut [f32]) {
        // `ramp_sum_f32`'s gains from 0: the last sample is unity itself.
        let len = gains.len();
        let step = 1.0 / len.max(1) as f32;
        for (i, g) in gains.iter_mut().enumerate() {
            *g = if i + 1 < len {
                0.0 + step * (i + 1) as f32
            } else {
                1.0
            };
        }
    }
    fn mix_open(out: &mut [f32], steady: Option<&[f32]>, x: &[f32], gains: &[f32]) -> usize {
        mix_open_f32(out, steady, x, gains)
    }
    fn finish(acc: &[f32], out: &mut [f32]) -> usize {
        let mut clipped = 0u32;
        for (o, &a) in out.iter_mut().zip(acc) {
            let c = saturate(a);
            clipped += (c != a) as u32;
            *o = c;
        }
        clipped as usize
    }
    fn mix1(out: &mut [f32], a: &[f32]) -> usize {
        mix1_f32(out, a)
    }
    fn mix2(out: &mut [f32], a: &[f32], b: &[f32]) -> usize {
        mix2_f32(out, a, b)
    }
    fn mix3t(out: &mut [f32], a: &[f32], b: &[f32], c: &[f32]) -> usize {
        mix3t_f32(out, a, b, c)
    }
    fn mix3(out: &mut [f32], x: [&[f32]; 3], hears: [[bool; 2]; 3]) -> [usize; 3] {
        if let Some(clipped) = Self::mix3_unsanitized(out, x, hears) {
            return clipped;
        }
        let (len, [x0, x1, x2], [o0, o1, o2]) = thirds(x, out);
        let m = hears.map(|h| h.map(|h| if h { u32::MAX } else { 0 }));
        let pick = |s: f32, m: u32| f32::from_bits(s.to_bits() & m);
        let mut clipped = [0u32; 3];
        for i in 0..len {
            let (a, b, c) = (x0[i], x1[i], x2[i]);
            let s0 = (0.0 + pick(b, m[0][0])) + pick(c, m[0][1]);
            let s1 = (0.0 + pick(a, m[1][0])) + pick(c, m[1][1]);
            let s2 = (0.0 + pick(a, m[2][0])) + pick(b, m[2][1]);
            let (r0, r1, r2) = (saturate(s0), saturate(s1), saturate(s2));
            clipped[0] += (r0 != s0) as u32;
            clipped[1] += (r1 != s1) as u32;
            clipped[2] += (r2 != s2) as u32;
            o0[i] = r0;
            o1[i] = r1;
            o2[i] = r2;
        }
        clipped.map(|c| c as usize)
    }
    fn mix3_unsanitized(
        out: &mut [f32],
        x: [&[f32]; 3],
        hears: [[bool; 2]; 3],
    ) -> Option<[usize; 3]> {
        mix3_unsanitized_f32(out, x, hears)
    }
    fn resample(
        r: &mut crate::dsp::resample::Resampler,
        input: &[f32],
        output: &mut [f32],
        finish: bool,
    ) -> usize {
        // Into the call, the frame is summed wide like any other and
        // saturated once, in the mix; out of it, what the listener hears is
        // clamped to full scale as the mix does.
        if r.process(input, output).is_err() {
            return 0;
        }
        if !finish {
            // Huge finite input can ring past the largest f32: keep it
            // finite (and loud), so that only what a party sent counts as
            // non-finite.
            if Self::needs_sanitizing(output) {
                for o in output.iter_mut() {
                    if o.is_nan() {
                        *o = 0.0;
                    } else if o.is_infinite() {
                        *o = f32::MAX.copysign(*o);
                    }
                }
            }
            return 0;
        }
        // A full-scale input may ring past full scale: clamp as the mix does.
        let mut clipped = 0;
        for o in output.iter_mut() {
            let c = saturate(*o);
            clipped += usize::from(c != *o);
            *o = c;
        }
        clipped
    }
    fn same_bits(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
    }
    fn needs_sanitizing(frame: &[f32]) -> bool {
        needs_sanitizing_f32(frame)
    }
    fn sanitize(frame: &mut [f32]) -> usize {
        // A read-only look first.
        if !Self::needs_sanitizing(frame) {
            return 0;
        }
        let mut replaced = 0usize;
        for s in frame.iter_mut() {
            let bad = !s.is_finite();
            replaced += bad as usize;
            *s = if bad { 0.0 } else { *s };
        }
        replaced
    }
}

/// [`private::Kernel::mix_ramp`] for `f32`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn mix_ramp_f32(
    out: &mut [f32],
    steady: Option<&[f32]>,
    x: &[f32],
    from: f32,
    to: f32,
    len: usize,
) -> usize {
    match steady {
        Some(a) => ramp_sum_f32::<true>(out, a, x, from, to, len),
        None => ramp_sum_f32::<false>(out, &[], x, from, to, len),
    }
}

/// [`private::Kernel::mix_open`] for `f32`: the sums of [`ramp_sum_f32`]
/// (`x * 1.0` is `x`, bit for bit, where it adds `x` at unity).
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn mix_open_f32(out: &mut [f32], steady: Option<&[f32]>, x: &[f32], gains: &[f32]) -> usize {
    let mut n = out.len().min(x.len()).min(gains.len());
    if let Some(a) = steady {
        n = n.min(a.len());
    }
    let (out, x, g) = (&mut out[..n], &x[..n], &gains[..n]);
    let mut clipped = 0u32;
    let mut put = |o: &mut f32, s: f32| {
        let c = saturate(s);
        clipped += u32::from(c != s);
        *o = c;
    };
    match steady {
        Some(a) => {
            let a = &a[..n];
            for i in 0..n {
                put(&mut out[i], (0.0 + a[i]) + x[i] * g[i]);
            }
        }
        None => {
            for i in 0..n {
                put(&mut out[i], 0.0 + x[i] * g[i]);
            }
        }
    }
    clipped as usize
}

/// The loop of [`mix_ramp_f32`], with or without a steady talker `a`.
#[inline(always)]
fn ramp_sum_f32<const STEADY: bool>(
    out: &mut [f32],
    a: &[f32],
    x: &[f32],
    from: f32,
    to: f32,
    len: usize,
) -> usize {
    let mut n = out.len().min(x.len());
    if STEADY {
        n = n.min(a.len());
    }
    let (out, x, a) = (&mut out[..n], &x[..n], &a[..if STEADY { n } else { 0 }]);
    // The accumulator's sums: `0.0 + a` first, then the ramping talker
    // (of two terms after `0.0`, the order changes nothing but the payload
    // of a NaN, which `saturate` makes silence). Its gain is the ramp's
    // while `k < len`, then `to` as `add_steady` adds it.
    let step = (to - from) / len.max(1) as f32;
    let ramping = len.saturating_sub(1).min(n);
    let (out, tail_out) = out.split_at_mut(ramping);
    let (x, tail_x) = x.split_at(ramping);
    let (a, tail_a) = a.split_at(if STEADY { ramping } else { 0 });
    let base = |a: &[f32], i: usize| if STEADY { 0.0 + a[i] } else { 0.0 };
    let mut clipped = 0u32;
    let mut put = |o: &mut f32, s: f32| {
        let c = saturate(s);
        clipped += u32::from(c != s);
        *o = c;
    };
    for i in 0..ramping {
        let k = i + 1;
        put(&mut out[i], base(a, i) + x[i] * (from + step * k as f32));
    }
    for i in 0..tail_out.len() {
        let s = if to == 1.0 {
            base(tail_a, i) + tail_x[i]
        } else if to == 0.0 {
            base(tail_a, i)
        } else {
            base(tail_a, i) + tail_x[i] * to
        };
        put(&mut tail_out[i], s);
    }
    clipped as usize
}

/// [`private::Kernel::mix1`] for `f32`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn mix1_f32(out: &mut [f32], a: &[f32]) -> usize {
    let mut clipped = 0u32;
    for (o, &x) in out.iter_mut().zip(a) {
        // `0.0 + x`, as the accumulator computes it: -0.0 becomes 0.0.
        let s = 0.0 + x;
        let c = saturate(s);
        clipped += (c != s) as u32;
        *o = c;
    }
    clipped as usize
}

/// [`private::Kernel::mix2`] for `f32`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn mix2_f32(out: &mut [f32], a: &[f32], b: &[f32]) -> usize {
    let mut clipped = 0u32;
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        let s = (0.0 + x) + y;
        let c = saturate(s);
        clipped += (c != s) as u32;
        *o = c;
    }
    clipped as usize
}

/// [`private::Kernel::mix3t`] for `f32`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn mix3t_f32(out: &mut [f32], a: &[f32], b: &[f32], c: &[f32]) -> usize {
    let mut clipped = 0u32;
    for (((o, &x), &y), &z) in out.iter_mut().zip(a).zip(b).zip(c) {
        let s = ((0.0 + x) + y) + z;
        let r = saturate(s);
        clipped += (r != s) as u32;
        *o = r;
    }
    clipped as usize
}

/// [`private::Kernel::mix3_unsanitized`] for `f32`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn mix3_unsanitized_f32(
    out: &mut [f32],
    x: [&[f32]; 3],
    hears: [[bool; 2]; 3],
) -> Option<[usize; 3]> {
    let (len, [x0, x1, x2], [o0, o1, o2]) = thirds(x, out);
    // A talker not heard is masked to +0.0: `(0.0 + p) + 0.0` and
    // `(0.0 + 0.0) + q` are exactly `0.0 + p` and `0.0 + q`.
    let m = hears.map(|h| h.map(|h| if h { u32::MAX } else { 0 }));
    let pick = |s: f32, m: u32| f32::from_bits(s.to_bits() & m);
    // Sum without clamping, noting on the way whether any input is at
    // or beyond half scale or not finite (magnitude bits ≥ 0x3f00_0000
    // carry into bit 31 when 0x4100_0000 is added). If none is, there is
    // nothing to sanitize, no sum of two can reach full scale, and every
    // sum is already what `saturate` would give.
    let beyond = |s: f32| (s.to_bits() & 0x7fff_ffff).wrapping_add(0x4100_0000);
    let mut any = 0u32;
    if hears == [[true; 2]; 3] {
        // Barge: everyone hears both others; no masks.
        for i in 0..len {
            let (a, b, c) = (x0[i], x1[i], x2[i]);
            any |= beyond(a) | beyond(b) | beyond(c);
            o0[i] = (0.0 + b) + c;
            o1[i] = (0.0 + a) + c;
            o2[i] = (0.0 + a) + b;
        }
    } else {
        for i in 0..len {
            let (a, b, c) = (x0[i], x1[i], x2[i]);
            any |= beyond(a) | beyond(b) | beyond(c);
            o0[i] = (0.0 + pick(b, m[0][0])) + pick(c, m[0][1]);
            o1[i] = (0.0 + pick(a, m[1][0])) + pick(c, m[1][1]);
            o2[i] = (0.0 + pick(a, m[2][0])) + pick(b, m[2][1]);
        }
    }
    (any & 0x8000_0000 == 0).then_some([0; 3])
}

/// [`private::Kernel::needs_sanitizing`] for `f32`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn needs_sanitizing_f32(frame: &[f32]) -> bool {
    // A non-finite sample (exponent all ones) carries into bit 31 when
    // 2^23 is added to its exponent bits.
    let any = frame.iter().fold(0u32, |any, s| {
        any | (s.to_bits() & 0x7f80_0000).wrapping_add(0x0080_0000)
    });
    any & 0x8000_0000 != 0
}

/// An `f32` sum as a listener hears it: clamped to full scale. NaN can only
/// come from finite inputs so large that their products overflow; it becomes
/// silence and never reaches anyone.
#[inline(always)]
fn saturate(a: f32) -> f32 {
    if a.is_nan() {
        0.0
    } else {
        a.clamp(-1.0, 1.0)
    }
}
