//! `g711`: arbitrary code bytes, `i16` samples and `f32` samples through
//! `barge::g711`, for both laws, against a reference built here from the
//! segment tables of ITU-T G.711 (Tables 1a and 2a: segment ends and step
//! sizes, outputs at the middle of each step) read as ITU-T G.191 `g711.c`
//! reads them: a negative sample `x` is quantised as its one's complement
//! `-x - 1`, that is, every sample as `x + ½`, so that a negative sample on
//! a decision value falls in the interval below it.
//!
//! - Every per-sample encode and decode equals the reference.
//! - Decoding then encoding returns the code, except μ-law `0x7F` (−0),
//!   which comes back as `0xFF` (+0), as `barge::g711` documents.
//! - Encoding then decoding lands within half the quantisation step of the
//!   input's segment (below the overload point; beyond it, on the largest
//!   code of the input's sign), and the decoded value never decreases as the
//!   input grows.
//! - The slice functions equal the per-sample ones; the `f32` ones follow
//!   the convention `barge::g711` documents: full scale is ±1.0, an `f32` is
//!   encoded as the `i16` nearest to it ×32768 (halves away from zero,
//!   clamped, NaN as 0), and a code decodes to its `i16` value / 32768.
//! - Output buffers of the wrong length are `Error::LengthMismatch`, naming
//!   the length given and the length expected, and are left untouched.
//! - No panic.

use arbitrary::Arbitrary;
use barge::g711::Law;
use barge::Error;

/// One fuzz case.
#[derive(Arbitrary, Debug, Clone)]
pub struct Input {
    /// Code bytes to decode.
    pub codes: Vec<u8>,
    /// Samples to encode.
    pub samples: Vec<i16>,
    /// `f32` samples to encode.
    pub floats: Vec<FloatArg>,
    /// How far the output buffers of the length check are off (0: they are
    /// one longer).
    pub off_by: i8,
}

/// An `f32` sample.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum FloatArg {
    /// Any bit pattern: NaN, infinities, subnormals included.
    Bits(u32),
    /// Near the point halfway between two 16-bit values: `(n + 0.5) / 32768`
    /// moved by `ulps` units in the last place, where rounding goes wrong.
    Half(i16, i8),
    /// Near a 16-bit value: `n / 32768` moved by `ulps`.
    Exact(i16, i8),
}

impl FloatArg {
    /// The sample.
    pub fn value(self) -> f32 {
        match self {
            FloatArg::Bits(b) => f32::from_bits(b),
            FloatArg::Half(n, ulps) => nudge((f64::from(n) + 0.5) as f32 / 32768.0, ulps),
            FloatArg::Exact(n, ulps) => nudge(f32::from(n) / 32768.0, ulps),
        }
    }
}

/// `x` moved by `ulps` representable values (towards +∞ when positive).
fn nudge(x: f32, ulps: i8) -> f32 {
    let mut x = x;
    for _ in 0..ulps.unsigned_abs() {
        x = if ulps > 0 { next_up(x) } else { -next_up(-x) };
    }
    x
}

/// The next `f32` above a finite `x`.
fn next_up(x: f32) -> f32 {
    if x == 0.0 {
        f32::from_bits(1)
    } else if x > 0.0 {
        f32::from_bits(x.to_bits() + 1)
    } else {
        f32::from_bits(x.to_bits() - 1)
    }
}

/// The reference: one law as the standard's tables give it.
struct Table {
    /// Bits dropped from a 16-bit magnitude to reach the law's linear range
    /// (14 bits for μ-law, 13 for A-law).
    shift: u32,
    /// The decision value that ends each segment, in the law's units; the
    /// last one is the overload point.
    ends: [i32; 8],
    /// The step size within each segment.
    steps: [i32; 8],
    /// What is XORed onto the sign, segment and step bits on the line.
    invert: u8,
}

/// μ-law (Table 2a): 14-bit magnitudes; segment 0's first interval is
/// `0 ..< 1` and its others steps of 2, the intervals then go up by 16 steps
/// a segment, each segment's step twice the last. The seven bits below the
/// sign are sent inverted.
const ULAW: Table = Table {
    shift: 2,
    ends: [31, 95, 223, 479, 991, 2015, 4063, 8159],
    steps: [2, 4, 8, 16, 32, 64, 128, 256],
    invert: 0x7F,
};

/// A-law (Table 1a): 13-bit magnitudes; segments 0 and 1 both have steps of
/// 2, each one after twice the last. The even bits are sent inverted.
const ALAW: Table = Table {
    shift: 3,
    ends: [32, 64, 128, 256, 512, 1024, 2048, 4096],
    steps: [2, 2, 4, 8, 16, 32, 64, 128],
    invert: 0x55,
};

fn table(law: Law) -> &'static Table {
    match law {
        Law::Ulaw => &ULAW,
        Law::Alaw => &ALAW,
    }
}

/// Where a 16-bit sample falls: negative or not, segment, step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cell {
    negative: bool,
    segment: usize,
    step: usize,
}

impl Table {
    /// The cell of a 16-bit sample: its sign, and the magnitude of `x + ½`
    /// taken to the law's width by dropping the low bits (G.191: `x`, or
    /// `-x - 1` when negative), looked up among the decision values. At or
    /// beyond the overload point: the top step of the top segment.
    fn cell(&self, x: i16) -> Cell {
        // |x + ½| rounded down, from twice it (odd, never on a boundary).
        let m = ((2 * i32::from(x) + 1).abs() / 2) >> self.shift;
        let negative = x < 0;
        for segment in 0..8 {
            let end = self.ends[segment];
            if m < end {
                // Step 15 ends at `end`, step 14 one step size lower...
                let below = (end - 1 - m) / self.steps[segment];
                return Cell {
                    negative,
                    segment,
                    step: 15 - below as usize,
                };
            }
        }
        Cell {
            negative,
            segment: 7,
            step: 15,
        }
    }

    /// The code byte of a cell: sign (1 for positive), 3 bits of segment, 4
    /// of step, then the law's inversion.
    fn code(&self, c: Cell) -> u8 {
        let sign = if c.negative { 0 } else { 0x80 };
        (sign | (c.segment as u8) << 4 | c.step as u8) ^ self.invert
    }

    /// The cell a code byte names.
    fn uncode(&self, code: u8) -> Cell {
        let bits = code ^ self.invert;
        Cell {
            negative: bits & 0x80 == 0,
            segment: usize::from((bits >> 4) & 7),
            step: usize::from(bits & 0x0F),
        }
    }

    /// The output value of a cell, in 16-bit units: the middle of its step
    /// interval (μ-law's first interval `0 ..< 1` outputs 0).
    fn value(&self, c: Cell) -> i16 {
        let size = self.steps[c.segment];
        let low = (self.ends[c.segment] - (16 - c.step as i32) * size).max(0);
        let high = self.ends[c.segment] - (15 - c.step as i32) * size;
        let mid = (low + high) / 2;
        let y = mid << self.shift;
        i16::try_from(if c.negative { -y } else { y }).unwrap()
    }

    /// Half the step size of the segment `x` falls in, in 16-bit units.
    fn half_step(&self, x: i16) -> i32 {
        (self.steps[self.cell(x).segment] << self.shift) / 2
    }

    /// Whether `x + ½` is beyond the overload point.
    fn overloads(&self, x: i16) -> bool {
        ((2 * i32::from(x) + 1).abs() / 2) >> self.shift >= self.ends[7]
    }
}

/// The reference encoder.
pub fn ref_encode(law: Law, x: i16) -> u8 {
    let t = table(law);
    t.code(t.cell(x))
}

/// The reference decoder.
pub fn ref_decode(law: Law, code: u8) -> i16 {
    let t = table(law);
    t.value(t.uncode(code))
}

/// The reference `f32` → `i16`: ×32768 in `f64` (exact), clamped to the
/// 16-bit range, nearest with halves away from zero; NaN is 0.
pub fn ref_f32_to_i16(x: f32) -> i16 {
    let y = f64::from(x) * 32768.0;
    if y.is_nan() {
        0
    } else {
        y.clamp(-32768.0, 32767.0).round() as i16
    }
}

/// Runs one case; panics on any broken property.
pub fn run(input: &Input) {
    let floats: Vec<f32> = input.floats.iter().map(|f| f.value()).collect();
    for law in [Law::Ulaw, Law::Alaw] {
        let t = table(law);
        decode_then_encode(law, &input.codes);
        for &x in &input.samples {
            encode_then_decode(law, t, x);
        }
        monotonic(law, &input.samples);
        slices(law, input, &floats);
        wrong_lengths(law, input, &floats);
    }
}

fn decode_then_encode(law: Law, codes: &[u8]) {
    for &c in codes {
        let y = law.decode_sample(c);
        assert_eq!(y, ref_decode(law, c), "{law}: decode {c:#04x}");
        let back = law.encode_sample(y);
        let expected = if law == Law::Ulaw && c == 0x7F {
            0xFF
        } else {
            c
        };
        assert_eq!(back, expected, "{law}: {c:#04x} -> {y} -> {back:#04x}");
    }
}

fn encode_then_decode(law: Law, t: &Table, x: i16) {
    let c = law.encode_sample(x);
    assert_eq!(c, ref_encode(law, x), "{law}: encode {x}");
    let y = law.decode_sample(c);
    if t.overloads(x) {
        let top = if x < 0 { i16::MIN } else { i16::MAX };
        assert_eq!(c, ref_encode(law, top), "{law}: {x} overloads");
    } else {
        let err = (i32::from(x) - i32::from(y)).abs();
        let half = t.half_step(x);
        assert!(
            err <= half,
            "{law}: {x} -> {c:#04x} -> {y}, error {err} > {half}"
        );
    }
    // Its neighbours decode in order.
    if let Some(next) = x.checked_add(1) {
        let z = law.decode_sample(law.encode_sample(next));
        assert!(y <= z, "{law}: {x} -> {y} but {next} -> {z}");
    }
}

fn monotonic(law: Law, samples: &[i16]) {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    for w in sorted.windows(2) {
        let (a, b) = (w[0], w[1]);
        let (ya, yb) = (
            law.decode_sample(law.encode_sample(a)),
            law.decode_sample(law.encode_sample(b)),
        );
        assert!(ya <= yb, "{law}: {a} -> {ya} but {b} -> {yb}");
    }
}

fn slices(law: Law, input: &Input, floats: &[f32]) {
    let mut codes = vec![0u8; input.samples.len()];
    law.encode(&input.samples, &mut codes).unwrap();
    for (&x, &c) in input.samples.iter().zip(&codes) {
        assert_eq!(c, law.encode_sample(x), "{law}: encode slice at {x}");
    }

    let mut pcm = vec![0i16; input.codes.len()];
    law.decode(&input.codes, &mut pcm).unwrap();
    let mut pcm_f = vec![0f32; input.codes.len()];
    law.decode_f32(&input.codes, &mut pcm_f).unwrap();
    for ((&c, &y), &f) in input.codes.iter().zip(&pcm).zip(&pcm_f) {
        assert_eq!(y, law.decode_sample(c), "{law}: decode slice at {c:#04x}");
        let want = f32::from(y) / 32768.0;
        assert_eq!(f.to_bits(), want.to_bits(), "{law}: decode_f32 {c:#04x}");
        assert!((-1.0..1.0).contains(&f), "{law}: decode_f32 {c:#04x}: {f}");
    }

    let mut codes = vec![0u8; floats.len()];
    law.encode_f32(floats, &mut codes).unwrap();
    for (&x, &c) in floats.iter().zip(&codes) {
        let n = ref_f32_to_i16(x);
        assert_eq!(
            c,
            law.encode_sample(n),
            "{law}: encode_f32 {x:e} ({:#010x}), nearest 16-bit value {n}",
            x.to_bits()
        );
    }
}

/// A length `off_by` away from `len` (never `len` itself, never negative).
fn wrong(len: usize, off_by: i8) -> usize {
    match off_by {
        0 => len + 1,
        d if d > 0 => len + d as usize,
        d => match len.checked_sub(usize::from(d.unsigned_abs())) {
            Some(n) => n,
            None => len + usize::from(d.unsigned_abs()),
        },
    }
}

fn assert_mismatch(law: Law, what: &str, r: Result<(), Error>, given: usize, expected: usize) {
    match r {
        Err(Error::LengthMismatch {
            given: g,
            expected: e,
            ..
        }) if g == given && e == expected => {}
        other => panic!("{law}: {what} with {given} for {expected}: {other:?}"),
    }
}

fn wrong_lengths(law: Law, input: &Input, floats: &[f32]) {
    let n = wrong(input.samples.len(), input.off_by);
    let mut codes = vec![0xA5u8; n];
    let r = law.encode(&input.samples, &mut codes);
    assert_mismatch(law, "encode", r, n, input.samples.len());
    assert!(codes.iter().all(|&c| c == 0xA5), "{law}: encode wrote");

    let n = wrong(floats.len(), input.off_by);
    let mut codes = vec![0xA5u8; n];
    let r = law.encode_f32(floats, &mut codes);
    assert_mismatch(law, "encode_f32", r, n, floats.len());
    assert!(codes.iter().all(|&c| c == 0xA5), "{law}: encode_f32 wrote");

    let n = wrong(input.codes.len(), input.off_by);
    let mut pcm = vec![0x1234i16; n];
    let r = law.decode(&input.codes, &mut pcm);
    assert_mismatch(law, "decode", r, n, input.codes.len());
    assert!(pcm.iter().all(|&y| y == 0x1234), "{law}: decode wrote");

    let mut pcm = vec![f32::NAN; n];
    let r = law.decode_f32(&input.codes, &mut pcm);
    assert_mismatch(law, "decode_f32", r, n, input.codes.len());
    assert!(pcm.iter().all(|y| y.is_nan()), "{law}: decode_f32 wrote");
}

#[cfg(test)]
mod test {
    use super::*;

    /// The reference against the standard's own figures, so that a slip in
    /// the tables is caught before it is compared with the crate.
    #[test]
    fn reference_matches_the_standards_figures() {
        // μ-law: the first output of each segment, 14-bit units.
        let first = [0, 33, 99, 231, 495, 1023, 2079, 4191];
        for (s, &y) in first.iter().enumerate() {
            let c = ULAW.code(Cell {
                negative: false,
                segment: s,
                step: 0,
            });
            assert_eq!(ref_decode(Law::Ulaw, c), y * 4);
        }
        assert_eq!(ref_decode(Law::Ulaw, 0x80), 8031 * 4);
        assert_eq!(ref_decode(Law::Ulaw, 0x7F), 0);
        assert_eq!(ref_encode(Law::Ulaw, 0), 0xFF);
        // μ-law: decision values 1, 3 and 31 (14-bit) open new steps.
        assert_eq!(ref_decode(Law::Ulaw, ref_encode(Law::Ulaw, 3)), 0);
        assert_eq!(ref_decode(Law::Ulaw, ref_encode(Law::Ulaw, 4)), 8);
        assert_eq!(ref_decode(Law::Ulaw, ref_encode(Law::Ulaw, 11)), 8);
        assert_eq!(ref_decode(Law::Ulaw, ref_encode(Law::Ulaw, 12)), 16);
        assert_eq!(ref_decode(Law::Ulaw, ref_encode(Law::Ulaw, 123)), 120);
        assert_eq!(ref_decode(Law::Ulaw, ref_encode(Law::Ulaw, 124)), 132);
        // G.191: a negative sample on a decision value stays below it.
        assert_eq!(ref_encode(Law::Ulaw, -1), 0x7F);
        assert_eq!(ref_encode(Law::Ulaw, -4), 0x7F);
        assert_eq!(ref_encode(Law::Ulaw, -5), 0x7E);
        assert_eq!(
            ref_encode(Law::Ulaw, -124),
            ref_encode(Law::Ulaw, 123) & 0x7F
        );
        assert_eq!(
            ref_encode(Law::Ulaw, -125),
            ref_encode(Law::Ulaw, 124) & 0x7F
        );
        assert_eq!(ref_encode(Law::Ulaw, i16::MIN), 0x00);
        // A-law: the first output of each segment, 13-bit units.
        let first = [1, 33, 66, 132, 264, 528, 1056, 2112];
        for (s, &y) in first.iter().enumerate() {
            let c = ALAW.code(Cell {
                negative: false,
                segment: s,
                step: 0,
            });
            assert_eq!(ref_decode(Law::Alaw, c), y * 8);
        }
        assert_eq!(ref_encode(Law::Alaw, 0), 0xD5);
        assert_eq!(ref_decode(Law::Alaw, 0xD5), 8);
        assert_eq!(ref_decode(Law::Alaw, 0x55), -8);
        assert_eq!(ref_decode(Law::Alaw, 0xAA), 4032 * 8);
        assert_eq!(ref_encode(Law::Alaw, -16), 0x55);
        assert_eq!(ref_encode(Law::Alaw, -17), 0x54);
        assert_eq!(
            ref_encode(Law::Alaw, -256),
            ref_encode(Law::Alaw, 255) & 0x7F
        );
        assert_eq!(
            ref_encode(Law::Alaw, -257),
            ref_encode(Law::Alaw, 256) & 0x7F
        );
        assert_eq!(ref_encode(Law::Alaw, i16::MIN), 0x2A);
        // The 16-bit rounding.
        assert_eq!(ref_f32_to_i16(0.5 / 32768.0), 1);
        assert_eq!(ref_f32_to_i16(-0.5 / 32768.0), -1);
        assert_eq!(ref_f32_to_i16(nudge(0.5 / 32768.0, -1)), 0);
        assert_eq!(ref_f32_to_i16(f32::NAN), 0);
        assert_eq!(ref_f32_to_i16(1.0), i16::MAX);
        assert_eq!(ref_f32_to_i16(f32::NEG_INFINITY), i16::MIN);
    }

    /// Every code byte and every 16-bit sample through all the checks once.
    #[test]
    fn every_code_and_sample_passes() {
        let input = Input {
            codes: (0..=255).collect(),
            samples: (i16::MIN..=i16::MAX).collect(),
            floats: vec![
                FloatArg::Bits(f32::NAN.to_bits()),
                FloatArg::Bits(f32::INFINITY.to_bits()),
                FloatArg::Exact(-32768, -1),
                FloatArg::Half(32766, 1),
                FloatArg::Half(100, -1),
                FloatArg::Half(-100, 1),
            ],
            off_by: -3,
        };
        run(&input);
    }
}
