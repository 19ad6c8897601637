//! `barge::g711` against the G.711 encoder and decoder of ITU-T G.191
//! (`g711.c`: `ulaw_compress`, `alaw_compress`, `ulaw_expand`,
//! `alaw_expand`), for every 16-bit sample and every code byte of both laws.
//!
//! G.191 quantises the magnitude of a sample, taking a negative sample `x`
//! as its one's complement `-x - 1`. That is the same as quantising `x + ½`:
//! the decision values of G.711 fall on whole 14-bit (μ-law) or 13-bit
//! (A-law) values, `x + ½` never lies on one, and a negative sample exactly
//! on a decision value lands in the interval below it.
//!
//! Why this is independent of the library: the expected code is not
//! computed, it is looked up. The decision values are written out here as
//! G.711 lists them (Table 1a for A-law, Table 2a for μ-law: where each
//! segment's decision values start and how far apart they are), and a
//! sample's interval is found by a binary search for `2x + 1` (twice
//! `x + ½`, so that everything stays in integers) among them; the code byte
//! is then the interval's number with the sign and line inversion of Tables
//! 1b and 2b. The library instead derives the segment from the bits of the
//! biased magnitude and shifts out the step; nothing here shares that
//! arithmetic or calls the library except as the code under test.

use barge::g711::Law;

/// One law as G.711 tabulates it.
struct Table {
    /// The law's name, for messages.
    name: &'static str,
    /// For each of the 8 segments: its first decision value above the
    /// segment's start, and the distance between its decision values, in
    /// the law's units (14-bit for μ-law, 13-bit for A-law). Each segment
    /// has 16 decision values; the last of the last segment is the
    /// overload point.
    segments: [(i32, i32); 8],
    /// How many 16-bit values one unit of the law is.
    unit: i32,
    /// What the 7 bits below the sign are XORed with on the line.
    line: u8,
}

/// μ-law, G.711 Table 2a: decision values 1, 3, …, 31; 35, 39, …, 95; …;
/// 4319, 4575, …, 8159. Table 2b: the 7 bits below the sign are inverted.
const ULAW: Table = Table {
    name: "PCMU",
    segments: [
        (1, 2),
        (35, 4),
        (103, 8),
        (239, 16),
        (511, 32),
        (1055, 64),
        (2143, 128),
        (4319, 256),
    ],
    unit: 4,
    line: 0x7F,
};

/// A-law, G.711 Table 1a: decision values 2, 4, …, 32; 34, …, 64; 68, …,
/// 128; …; 2176, …, 4096. Table 1b: the even bits are inverted.
const ALAW: Table = Table {
    name: "PCMA",
    segments: [
        (2, 2),
        (34, 2),
        (68, 4),
        (136, 8),
        (272, 16),
        (544, 32),
        (1088, 64),
        (2176, 128),
    ],
    unit: 8,
    line: 0x55,
};

impl Table {
    /// The 128 decision values `x₁ ..= x₁₂₈`, in the law's units.
    fn decision_values(&self) -> Vec<i32> {
        let v: Vec<i32> = self
            .segments
            .iter()
            .flat_map(|&(first, apart)| (0..16).map(move |k| first + k * apart))
            .collect();
        assert_eq!(v.len(), 128);
        assert!(
            v.windows(2).all(|w| w[0] < w[1]),
            "{}: not increasing",
            self.name
        );
        v
    }

    /// The 127 decision values between intervals, `x₁ ..= x₁₂₇`, on the
    /// doubled 16-bit scale of `2x + 1`.
    fn edges(&self) -> Vec<i32> {
        self.decision_values()[..127]
            .iter()
            .map(|&d| 2 * d * self.unit)
            .collect()
    }

    /// The code byte G.191 gives `x`: the interval `2x + 1` falls in (how
    /// many of the `edges` lie below its magnitude; beyond `x₁₂₇` is the
    /// top interval, overload included), with the sign bit set for `x ≥ 0`.
    fn code_of(&self, edges: &[i32], x: i16) -> u8 {
        let t = 2 * i32::from(x) + 1;
        let interval = edges.partition_point(|&e| e < t.abs());
        let sign = if t > 0 { 0x80 } else { 0 };
        (sign | interval as u8) ^ self.line
    }

    fn expected_code(&self, x: i16) -> u8 {
        self.code_of(&self.edges(), x)
    }

    /// The 16-bit output value of a code byte: the middle of its interval
    /// (Tables 1a and 2a), μ-law's interval `0 ..< 1` giving 0.
    fn expected_value(&self, code: u8) -> i16 {
        let bits = code ^ self.line;
        let n = usize::from(bits & 0x7F);
        let x = self.decision_values();
        let y = match n {
            0 if self.line == ULAW.line => 0,
            0 => x[0] / 2,
            n => (x[n - 1] + x[n]) / 2,
        } * self.unit;
        let y = if bits & 0x80 != 0 { y } else { -y };
        i16::try_from(y).unwrap()
    }
}

fn law(t: &Table) -> Law {
    if t.line == ULAW.line {
        Law::Ulaw
    } else {
        Law::Alaw
    }
}

/// Every 16-bit sample, with its expected code.
fn expected_codes(t: &Table) -> Vec<(i16, u8)> {
    let edges = t.edges();
    (i16::MIN..=i16::MAX)
        .map(|x| (x, t.code_of(&edges, x)))
        .collect()
}

/// The samples whose code differs from G.191's, with the first few named.
fn mismatches(t: &Table, encode: impl Fn(i16) -> u8) -> (usize, String) {
    let mut n = 0;
    let mut first = String::new();
    for (x, want) in expected_codes(t) {
        let got = encode(x);
        if got != want {
            if n < 5 {
                first += &format!(" {x}: {got:#04x} not {want:#04x};");
            }
            n += 1;
        }
    }
    (n, first)
}

#[test]
fn the_tables_give_the_standards_figures() {
    // Spot checks on the tables above against figures printed in G.711
    // and against what G.191 is known to do with negative samples.
    assert_eq!(ULAW.decision_values()[127], 8159);
    assert_eq!(ALAW.decision_values()[127], 4096);
    assert_eq!(ULAW.expected_value(0x80), 8031 * 4);
    assert_eq!(ULAW.expected_value(0xFF), 0);
    assert_eq!(ULAW.expected_value(0x7F), 0);
    assert_eq!(ALAW.expected_value(0xD5), 8);
    assert_eq!(ALAW.expected_value(0xAA), 4032 * 8);
    // 0 is +0; -1 ..= -4 (one's complement 0 ..= 3) are −0 in μ-law; -4
    // sits on decision value 1 and so stays in the interval below it.
    assert_eq!(ULAW.expected_code(0), 0xFF);
    assert_eq!(ULAW.expected_code(4), 0xFE);
    assert_eq!(ULAW.expected_code(-4), 0x7F);
    assert_eq!(ULAW.expected_code(-5), 0x7E);
    // A-law: -16 (decision value 2) stays in the first interval.
    assert_eq!(ALAW.expected_code(16), 0xD4);
    assert_eq!(ALAW.expected_code(-16), 0x55);
    assert_eq!(ALAW.expected_code(-17), 0x54);
    assert_eq!(ALAW.expected_code(i16::MIN), 0x2A);
    assert_eq!(ULAW.expected_code(i16::MIN), 0x00);
}

#[test]
fn every_sample_encodes_as_g191_does() {
    // Both laws counted before either fails, so a failure says how far off
    // each one is.
    let report: Vec<(usize, String)> = [&ULAW, &ALAW]
        .iter()
        .map(|t| {
            let law = law(t);
            let (n, first) = mismatches(t, |x| law.encode_sample(x));
            (
                n,
                format!("{}: {n} of 65536 samples differ:{first}", t.name),
            )
        })
        .collect();
    assert!(report.iter().all(|(n, _)| *n == 0), "{report:#?}");
}

#[test]
fn every_sample_encodes_as_g191_does_through_the_slice_functions() {
    let pcm: Vec<i16> = (i16::MIN..=i16::MAX).collect();
    for t in [&ULAW, &ALAW] {
        let law = law(t);
        let mut codes = vec![0u8; pcm.len()];
        law.encode(&pcm, &mut codes).unwrap();
        let (n, first) = mismatches(t, |x| codes[(i32::from(x) + 32768) as usize]);
        assert_eq!(n, 0, "{}: {n} of 65536 samples differ:{first}", t.name);

        // The f32 entry point rounds to the nearest 16-bit value first;
        // every 16-bit value is exact as an f32 of full scale ±1.0.
        let f: Vec<f32> = pcm.iter().map(|&x| f32::from(x) / 32768.0).collect();
        let mut codes = vec![0u8; f.len()];
        law.encode_f32(&f, &mut codes).unwrap();
        let (n, first) = mismatches(t, |x| codes[(i32::from(x) + 32768) as usize]);
        assert_eq!(n, 0, "{}: encode_f32: {n} samples differ:{first}", t.name);
    }
}

#[test]
fn every_code_decodes_to_the_tables_value() {
    let codes: Vec<u8> = (0..=255).collect();
    for t in [&ULAW, &ALAW] {
        let law = law(t);
        let mut pcm = vec![0i16; 256];
        law.decode(&codes, &mut pcm).unwrap();
        let mut pcm_f = vec![0f32; 256];
        law.decode_f32(&codes, &mut pcm_f).unwrap();
        for &c in &codes {
            let want = t.expected_value(c);
            assert_eq!(law.decode_sample(c), want, "{}: {c:#04x}", t.name);
            assert_eq!(pcm[usize::from(c)], want, "{}: slice {c:#04x}", t.name);
            let f = pcm_f[usize::from(c)];
            assert_eq!(f * 32768.0, f32::from(want), "{}: f32 {c:#04x}", t.name);
        }
    }
}
