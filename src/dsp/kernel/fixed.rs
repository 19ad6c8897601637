//! The kernel's loops for `i16` samples: gains in Q14 fixed point, sums in
//! `i32`, saturated once.

use super::*;

impl private::Kernel for i16 {
    type Acc = i32;
    type KGain = i32;

    fn kgain(linear: f32) -> i32 {
        // Gains are at most +12 dB (< 4.0), so this stays below 2^16 and a
        // product with any i16 fits in an i32.
        (linear * Q_ONE as f32 + 0.5) as i32
    }
    fn is_unity(g: i32) -> bool {
        g == Q_ONE
    }
    fn is_zero(g: i32) -> bool {
        g == 0
    }
    fn add(acc: &mut [i32], x: &[i16]) {
        for (a, &s) in acc.iter_mut().zip(x) {
            *a += s as i32;
        }
    }
    fn add_scaled(acc: &mut [i32], x: &[i16], g: i32) {
        for (a, &s) in acc.iter_mut().zip(x) {
            *a += (s as i32 * g + (1 << (Q - 1))) >> Q;
        }
    }
    fn add_ramp(acc: &mut [i32], x: &[i16], from: i32, to: i32, first: usize, len: usize) {
        add_ramp_i16(acc, x, from, to, first, len)
    }
    fn mix_ramp(
        out: &mut [i16],
        steady: Option<&[i16]>,
        x: &[i16],
        from: i32,
        to: i32,
        len: usize,
    ) -> usize {
        mix_ramp_i16(out, steady, x, from, to, len)
    }
    fn open_gains(gains: &mut [i32]) {
        let len = gains.len().clamp(1, 1 << 30);
        let (step, inv) = (f64::from(Q_ONE), 1.0 / len as f64);
        for (i, g) in gains.iter_mut().enumerate() {
            // `k <= len`: the formula of `ramp_sum_i16`, from 0.
            *g = ramp_gain(step, inv, (i + 1) as i32);
        }
    }
    fn mix_open(out: &mut [i16], steady: Option<&[i16]>, x: &[i16], gains: &[i32]) -> usize {
        mix_open_i16(out, steady, x, gains)
    }
    fn finish(acc: &[i32], out: &mut [i16]) -> usize {
        // Clipping is rare: note whether any sample clipped with a plain OR
        // (which vectorizes on SSE2), and count only then.
        let mut any = 0u32;
        for (o, &a) in out.iter_mut().zip(acc) {
            // Outside the i16 range exactly when `a + 2^15` is outside
            // `0..2^16`.
            any |= (a as u32).wrapping_add(0x8000) & 0xffff_0000;
            *o = a.clamp(i16::MIN as i32, i16::MAX as i32) as i16;
        }
        if any == 0 {
            return 0;
        }
        acc.iter()
            .take(out.len())
            .filter(|&&a| a != a as i16 as i32)
            .count()
    }
    fn mix1(out: &mut [i16], a: &[i16]) -> usize {
        out.copy_from_slice(&a[..out.len()]);
        0
    }
    fn mix2(out: &mut [i16], a: &[i16], b: &[i16]) -> usize {
        mix2_i16(out, a, b)
    }
    fn mix3t(out: &mut [i16], a: &[i16], b: &[i16], c: &[i16]) -> usize {
        mix3t_i16(out, a, b, c)
    }
    #[inline]
    fn mix3(out: &mut [i16], x: [&[i16]; 3], hears: [[bool; 2]; 3]) -> [usize; 3] {
        // One loop for each of the 64 patterns of who hears whom, so that a
        // listener who hears nobody or one talker costs no mask and no add:
        // monitor and whisper run as fast as barge.
        mix3_i16_by_pattern(out, x, pattern(hears))
    }
    #[inline]
    fn mix3_unsanitized(
        out: &mut [i16],
        x: [&[i16]; 3],
        hears: [[bool; 2]; 3],
    ) -> Option<[usize; 3]> {
        Some(Self::mix3(out, x, hears))
    }
    #[inline]
    fn mix3_pattern(out: &mut [i16], x: [&[i16]; 3], bits: u8) -> Option<[usize; 3]> {
        Some(mix3_i16_by_pattern(out, x, bits))
    }
    #[inline]
    fn mix4(out: &mut [i16], x: [&[i16]; 4], hears: u16) -> Option<[usize; 4]> {
        Some(mix4_i16(out, x, hears))
    }
    fn same_bits(a: &[i16], b: &[i16]) -> bool {
        a == b
    }
    fn needs_sanitizing(_frame: &[i16]) -> bool {
        false
    }
    fn resample(
        r: &mut crate::dsp::resample::Resampler,
        input: &[i16],
        output: &mut [i16],
        _finish: bool,
    ) -> usize {
        r.process_i16(input, output).unwrap_or(0)
    }
    fn sanitize(_frame: &mut [i16]) -> usize {
        0
    }
}

/// [`private::Kernel::mix2`] for `i16`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn mix2_i16(out: &mut [i16], a: &[i16], b: &[i16]) -> usize {
    // Two i16 summed in i32 and clamped once is exactly the saturating
    // i16 add (`paddsw`); it clipped where it differs from the wrapping
    // add.
    let mut any = 0i16;
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        let s = x.saturating_add(y);
        any |= s ^ x.wrapping_add(y);
        *o = s;
    }
    if any == 0 {
        return 0;
    }
    a.iter()
        .zip(b)
        .take(out.len())
        .filter(|&(&x, &y)| x.checked_add(y).is_none())
        .count()
}
/// [`private::Kernel::mix3t`] for `i16`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn mix3t_i16(out: &mut [i16], a: &[i16], b: &[i16], c: &[i16]) -> usize {
    let n = out.len().min(a.len()).min(b.len()).min(c.len());
    let (out, a, b, c) = (&mut out[..n], &a[..n], &b[..n], &c[..n]);
    // Three samples within a quarter of full scale (`-8192..8192`) sum
    // to within `-24576..24573`: the wrapping i16 sum is exact, needs no
    // widening, and nothing clips. Whether any sample is beyond is
    // noted on the way (bits 15 and 14 of `x + 0x2000`); only then is
    // the frame summed again, wide.
    let quarter = |s: i16| (s as u16).wrapping_add(0x2000);
    let mut beyond = 0u16;
    for i in 0..n {
        let (x, y, z) = (a[i], b[i], c[i]);
        beyond |= quarter(x) | quarter(y) | quarter(z);
        out[i] = x.wrapping_add(y).wrapping_add(z);
    }
    if beyond & 0xc000 == 0 {
        return 0;
    }
    let mut any = 0u32;
    for i in 0..n {
        let s = i32::from(a[i]) + i32::from(b[i]) + i32::from(c[i]);
        any |= (s as u32).wrapping_add(0x8000) & 0xffff_0000;
        out[i] = s.clamp(i16::MIN as i32, i16::MAX as i32) as i16;
    }
    if any == 0 {
        return 0;
    }
    (0..n)
        .filter(|&i| {
            let s = i32::from(a[i]) + i32::from(b[i]) + i32::from(c[i]);
            s != s as i16 as i32
        })
        .count()
}

/// The four-party `i16` patterns with a loop of their own, and
/// [`private::Kernel::mix4`] for `i16`, which picks it.
macro_rules! four_patterns {
    ($($p:literal)*) => {
        /// The patterns of who hears whom (as [`mix_four`] takes them, the
        /// diagonal clear) that [`mix4_i16`] mixes with a loop of their own:
        /// a customer, an agent and two supervisors, who joined in that
        /// order, each supervisor in monitor, whisper or barge.
        #[cfg(test)]
        pub(crate) const FOUR_PATTERNS: &[u16] = &[$($p),*];

        /// [`private::Kernel::mix4`] for `i16`: a loop of its own for each
        /// of the common patterns, the masked one for any other.
        fn mix4_i16(out: &mut [i16], x: [&[i16]; 4], hears: u16) -> [usize; 4] {
            match hears & !0x8421 {
                $($p => mix4_i16_for::<$p>(out, x),)*
                other => mix4_i16_masked(out, x, other),
            }
        }
    };
}

// Each pattern's hex digits, from the last, are the talkers the customer,
// the agent, the first and the second supervisor hear; the two
// supervisors' modes, in order: (monitor, monitor), (monitor, whisper),
// (monitor, barge), (whisper, monitor), (whisper, whisper), (whisper,
// barge), (barge, monitor), (barge, whisper), (barge, barge).
four_patterns!(0x3312 0x3b92 0x3b9a 0x7352 0x7bd2 0x7bda 0x7356 0x7bd6 0x7bde);

/// [`mix4_i16`] for one pattern, known when it is compiled: the masks
/// fold away.
#[multiversion::multiversion(targets("x86_64+avx2"))]
#[inline(never)]
fn mix4_i16_for<const HEARS: u16>(out: &mut [i16], x: [&[i16]; 4]) -> [usize; 4] {
    mix4_i16_with(out, x, HEARS)
}

/// [`mix4_i16`] for any pattern: each talker masked in or out.
#[multiversion::multiversion(targets("x86_64+avx2"))]
#[inline(never)]
fn mix4_i16_masked(out: &mut [i16], x: [&[i16]; 4], hears: u16) -> [usize; 4] {
    mix4_i16_with(out, x, hears)
}

/// The loop of [`mix4_i16`].
#[inline(always)]
fn mix4_i16_with(out: &mut [i16], x: [&[i16]; 4], hears: u16) -> [usize; 4] {
    let len = (out.len() / 4)
        .min(x[0].len())
        .min(x[1].len())
        .min(x[2].len())
        .min(x[3].len());
    let [x0, x1, x2, x3] = x.map(|f| &f[..len]);
    let (o0, rest) = out.split_at_mut(len);
    let (o1, rest) = rest.split_at_mut(len);
    let (o2, rest) = rest.split_at_mut(len);
    let o3 = &mut rest[..len];
    // Who hears whom as masks (a talker not heard adds 0); nobody hears
    // itself.
    let hears = hears & !0x8421;
    let m: [[i16; 4]; 4] =
        core::array::from_fn(|l| core::array::from_fn(|t| -(((hears >> (4 * l + t)) & 1) as i16)));
    // Three samples within a quarter of full scale sum exactly in i16 and
    // clip nowhere (as in `mix3t_i16`); whether any is beyond is noted on
    // the way, and only then is the call summed again, wide.
    let quarter = |s: i16| (s as u16).wrapping_add(0x2000);
    let sum = |p: i16, q: i16, r: i16| p.wrapping_add(q).wrapping_add(r);
    let mut beyond = 0u16;
    for i in 0..len {
        let (a, b, c, d) = (x0[i], x1[i], x2[i], x3[i]);
        beyond |= quarter(a) | quarter(b) | quarter(c) | quarter(d);
        o0[i] = sum(b & m[0][1], c & m[0][2], d & m[0][3]);
        o1[i] = sum(a & m[1][0], c & m[1][2], d & m[1][3]);
        o2[i] = sum(a & m[2][0], b & m[2][1], d & m[2][3]);
        o3[i] = sum(a & m[3][0], b & m[3][1], c & m[3][2]);
    }
    if beyond & 0xc000 == 0 {
        return [0; 4];
    }
    let mut clipped = [0usize; 4];
    for (l, (o, m)) in [o0, o1, o2, o3].into_iter().zip(m).enumerate() {
        let wide = |s: i16, m: i16| i32::from(s & m);
        for i in 0..len {
            let s = wide(x0[i], m[0]) + wide(x1[i], m[1]) + wide(x2[i], m[2]) + wide(x3[i], m[3]);
            let r = s.clamp(i16::MIN.into(), i16::MAX.into());
            clipped[l] += usize::from(r != s);
            o[i] = r as i16;
        }
    }
    clipped
}

/// [`mix3_i16`] for the pattern `bits` (listener 0's two flags in bits 5
/// and 4, listener 1's in 3 and 2, listener 2's in 1 and 0).
#[inline]
fn mix3_i16_by_pattern(out: &mut [i16], x: [&[i16]; 3], bits: u8) -> [usize; 3] {
    macro_rules! patterns {
        ($($p:literal)*) => {
            match bits {
                $($p => mix3_i16::<{ $p & 32 != 0 }, { $p & 16 != 0 }, { $p & 8 != 0 },
                    { $p & 4 != 0 }, { $p & 2 != 0 }, { $p & 1 != 0 }>(out, x),)*
                _ => [0; 3],
            }
        };
    }
    patterns!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29
        30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58
        59 60 61 62 63)
}

/// The whole three-party `i16` call in one pass for one pattern of who
/// hears whom: `Lkt` says whether listener `k` hears the first (`t = 0`) or
/// the second (`t = 1`) of the other two.
#[allow(non_snake_case)]
#[multiversion::multiversion(targets("x86_64+avx2"))]
#[inline(never)]
fn mix3_i16<
    const L00: bool,
    const L01: bool,
    const L10: bool,
    const L11: bool,
    const L20: bool,
    const L21: bool,
>(
    out: &mut [i16],
    x: [&[i16]; 3],
) -> [usize; 3] {
    let (len, [x0, x1, x2], [o0, o1, o2]) = thirds(x, out);
    // Each listener's sum is at most two frames added with saturation
    // (exact, as in `mix2`). Whether any input sample is beyond half scale,
    // where a pair could clip, is noted on the way with one add and one OR
    // per frame (bit 15 of `x + 0x4000`): only then are clips counted.
    let half = |s: i16| (s as u16).wrapping_add(0x4000);
    #[inline(always)]
    fn pair<const A: bool, const B: bool>(p: i16, q: i16) -> i16 {
        match (A, B) {
            (true, true) => p.saturating_add(q),
            (true, false) => p,
            (false, true) => q,
            (false, false) => 0,
        }
    }
    let mut beyond = 0u16;
    for i in 0..len {
        let (a, b, c) = (x0[i], x1[i], x2[i]);
        beyond |= half(a) | half(b) | half(c);
        o0[i] = pair::<L00, L01>(b, c);
        o1[i] = pair::<L10, L11>(a, c);
        o2[i] = pair::<L20, L21>(a, b);
    }
    if beyond & 0x8000 == 0 {
        return [0; 3];
    }
    let clips = |p: &[i16], q: &[i16], both: bool| {
        if !both {
            return 0;
        }
        p.iter()
            .zip(q)
            .filter(|&(&p, &q)| p.checked_add(q).is_none())
            .count()
    };
    [
        clips(x1, x2, L00 && L01),
        clips(x0, x2, L10 && L11),
        clips(x0, x1, L20 && L21),
    ]
}

/// [`private::Kernel::add_ramp`] for `i16`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn add_ramp_i16(acc: &mut [i32], x: &[i16], from: i32, to: i32, first: usize, len: usize) {
    // Sample `i` has `k = first + i + 1`; while `k < len` its gain is
    // `from + (to - from) * k / len`, the quotient truncated towards
    // zero: `from ± ⌊|to - from| * k / len⌋`. That floor is taken in
    // f64 as `⌊(|to - from| * k + 0.5) / len⌋`, with no division per
    // sample and no chain from one sample to the next: the true quotient
    // plus `0.5 / len` is at least `0.5 / len ≥ 2^-13` away from an
    // integer, and the f64 error is below 2^-23 (`|to - from| * k` is
    // below 2^29), so the floor is exact.
    let len = len.max(1);
    if len > (i32::MAX / 2) as usize {
        // Longer than any frame a session mixes: exact in i64 instead.
        return add_ramp_wide(acc, x, from, to, first, len);
    }
    let n = acc.len().min(x.len());
    let ramping = len.saturating_sub(first + 1).min(n);
    let (acc, steady_acc) = acc[..n].split_at_mut(ramping);
    let (x, steady_x) = x[..n].split_at(ramping);
    let step = f64::from((to - from).unsigned_abs());
    let inv = 1.0 / len as f64;
    let down = to < from;
    // `k < len < 2^30` here: i32 (and a vectorizable conversion).
    let k0 = (first + 1) as i32;
    for (i, (a, &s)) in acc.iter_mut().zip(x).enumerate() {
        let k = f64::from(k0 + i as i32);
        // The floor of `v = (step * k + 0.5) * inv`, non-negative and
        // below 2^17, is the nearest integer to `v - 0.5` (whose
        // distance from a half-integer is the margin above), which adding
        // 1.5 × 2^52 leaves in the low bits: unlike a saturating `as`
        // cast, this vectorizes on SSE2.
        let q = (((step * k + 0.5) * inv - 0.5) + ROUND).to_bits() as i32;
        let g = if down { from - q } else { from + q };
        *a += (s as i32 * g + (1 << (Q - 1))) >> Q;
    }
    // From `k = len` on the route is steady at `to`, as in later blocks.
    add_steady(steady_acc, steady_x, to);
}

/// The `i16` ramp of [`private::Kernel::add_ramp`] in `i64`, for ramps
/// longer than 2^30 samples, which only a direct caller of the kernel can
/// ask for.
#[cold]
fn add_ramp_wide(acc: &mut [i32], x: &[i16], from: i32, to: i32, first: usize, len: usize) {
    let step = i64::from(to - from);
    let len = len as i64;
    for (i, (a, &s)) in acc.iter_mut().zip(x).enumerate() {
        let k = (first + i + 1) as i64;
        let g = if k >= len {
            to
        } else {
            // Between `from` and `to`: fits in i32.
            from + (step * k / len) as i32
        };
        *a += (s as i32 * g + (1 << (Q - 1))) >> Q;
    }
}

/// How far an `i16` ramp of `len` samples whose gain moves by `step`
/// has moved at sample `k`, `1 <= k <= len` (`inv` is `1 / len`): the
/// nearest integer to `step * k / len` as [`add_ramp_i16`] computes it.
#[inline(always)]
fn ramp_gain(step: f64, inv: f64, k: i32) -> i32 {
    (((step * f64::from(k) + 0.5) * inv - 0.5) + ROUND).to_bits() as i32
}

/// [`private::Kernel::mix_open`] for `i16`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn mix_open_i16(out: &mut [i16], steady: Option<&[i16]>, x: &[i16], gains: &[i32]) -> usize {
    match steady {
        Some(a) => open_sum_i16::<true>(out, a, x, gains),
        None => open_sum_i16::<false>(out, &[], x, gains),
    }
}

/// The loop of [`mix_open_i16`], with or without a steady talker `a`: that
/// of [`ramp_sum_i16`], each sample's gain read from `g`.
#[inline(always)]
fn open_sum_i16<const STEADY: bool>(out: &mut [i16], a: &[i16], x: &[i16], g: &[i32]) -> usize {
    let mut n = out.len().min(x.len()).min(g.len());
    if STEADY {
        n = n.min(a.len());
    }
    let (out, x, g) = (&mut out[..n], &x[..n], &g[..n]);
    let a = &a[..if STEADY { n } else { 0 }];
    let mut clipped = 0u32;
    for i in 0..n {
        let steady = if STEADY { a[i] } else { 0 };
        let (c, clip) = ramp_sample(x[i], g[i], steady);
        clipped += u32::from(clip);
        out[i] = c;
    }
    clipped as usize
}

/// One sample of an `i16` ramp: `x` at the gain `g`, plus `steady` (heard
/// at unity), saturated; and whether it clipped. What [`ramp_sum_i16`] and
/// [`open_sum_i16`] write, the way [`add_ramp_i16`] and the accumulator's
/// saturation compute it.
#[inline(always)]
fn ramp_sample(x: i16, g: i32, steady: i16) -> (i16, bool) {
    let v = ((i32::from(x) * g + (1 << (Q - 1))) >> Q) + i32::from(steady);
    let c = v.clamp(i16::MIN as i32, i16::MAX as i32);
    (c as i16, c != v)
}

/// [`private::Kernel::mix_ramp`] for `i16`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn mix_ramp_i16(
    out: &mut [i16],
    steady: Option<&[i16]>,
    x: &[i16],
    from: i32,
    to: i32,
    len: usize,
) -> usize {
    match steady {
        Some(a) => ramp_sum_i16::<true>(out, a, x, from, to, len),
        None => ramp_sum_i16::<false>(out, &[], x, from, to, len),
    }
}

/// The loop of [`mix_ramp_i16`], with or without a steady talker `a`.
#[inline(always)]
fn ramp_sum_i16<const STEADY: bool>(
    out: &mut [i16],
    a: &[i16],
    x: &[i16],
    from: i32,
    to: i32,
    len: usize,
) -> usize {
    let mut n = out.len().min(x.len());
    if STEADY {
        n = n.min(a.len());
    }
    let (out, x, a) = (&mut out[..n], &x[..n], &a[..if STEADY { n } else { 0 }]);
    // The gains of `add_ramp_i16`, computed the same way, for every sample:
    // at `k = len` the formula gives `to` exactly (the quotient is the
    // integer `|to - from|`, and the margin the same), and every sample
    // after it takes the gain of `k = len`. So no sample needs a loop of
    // its own, and `to` at unity or muted adds what `add_steady` adds.
    let len = len.clamp(1, 1 << 30);
    let step = f64::from((to - from).unsigned_abs());
    let inv = 1.0 / len as f64;
    // `from - q` as `from + ((q ^ -1) + 1)`: no branch in the loop.
    let neg = -i32::from(to < from);
    let last = len as i32;
    let mut clipped = 0u32;
    for i in 0..n {
        let q = ramp_gain(step, inv, (i as i32 + 1).min(last));
        let g = from + ((q ^ neg) - neg);
        let steady = if STEADY { a[i] } else { 0 };
        let (c, clip) = ramp_sample(x[i], g, steady);
        clipped += u32::from(clip);
        out[i] = c;
    }
    clipped as usize
}
