//! `dtmf`: the DTMF detector on arbitrary input, at every rate and in
//! frames of every length.
//!
//! - Arbitrary `i16` samples and arbitrary `f32` bit patterns (NaN,
//!   infinities, huge values, subnormals) never make it panic, and what it
//!   reports is well formed: a key-up only for the digit held down, sample
//!   indices within what it was given, nothing dropped from a frame of up
//!   to 200 ms.
//! - A generated digit (40 to 100 ms, Q.23 levels) embedded in arbitrary
//!   noise of peak at most [`NOISE_PEAK`] (30 dB below the row tone) is
//!   found, exactly once, as that digit.
#![no_main]

use arbitrary::Arbitrary;
use barge::dtmf::{Digit, DtmfDetector, DtmfEvent};
use barge::tone::{ToneGenerator, ToneSpec};
use barge::SampleRate;

/// The loudest noise sample beside the digit, in `i16` units.
const NOISE_PEAK: i32 = 320;

#[derive(Arbitrary, Debug)]
struct Input {
    rate: u8,
    /// Frame lengths, cycled (each taken modulo 3000, 0 as 1).
    frames: Vec<u16>,
    samples: Vec<i16>,
    floats: Vec<u32>,
    digit: u8,
    on_ms: u8,
    offset: u16,
    noise: Vec<i16>,
}

fn frame_lengths(frames: &[u16]) -> impl Iterator<Item = usize> + '_ {
    let fixed: &[u16] = if frames.is_empty() { &[160] } else { frames };
    fixed.iter().cycle().map(|&n| usize::from(n % 3000).max(1))
}

/// Feeds `x` in the given frame lengths, checking every event; returns
/// the digits reported.
fn feed<S: barge::Sample>(rate: SampleRate, x: &[S], frames: &[u16]) -> Vec<Digit> {
    let mut d = DtmfDetector::new(rate);
    let mut held: Option<Digit> = None;
    let mut downs = Vec::new();
    let mut rest = x;
    let max = rate.hz() as usize / 5; // 200 ms
    for n in frame_lengths(frames) {
        if rest.is_empty() {
            break;
        }
        let (f, r) = rest.split_at(n.min(rest.len()));
        rest = r;
        let events = d.process(f);
        if f.len() <= max {
            assert_eq!(events.dropped(), 0, "frame of {}", f.len());
        }
        for e in events {
            match e {
                DtmfEvent::Down { digit, start, at } => {
                    assert_eq!(held, None, "{e:?} while {held:?} is held");
                    assert!(start < at && at <= d.samples(), "{e:?}");
                    held = Some(digit);
                    downs.push(digit);
                }
                DtmfEvent::Up { digit, start, end } => {
                    assert_eq!(held, Some(digit), "{e:?}");
                    assert!(start < end && end <= d.samples(), "{e:?}");
                    held = None;
                }
            }
        }
        assert_eq!(d.current(), held);
    }
    downs
}

libfuzzer_sys::fuzz_target!(|input: Input| {
    let rate = SampleRate::ALL[usize::from(input.rate) % SampleRate::ALL.len()];
    feed(rate, &input.samples, &input.frames);
    let floats: Vec<f32> = input.floats.iter().map(|&b| f32::from_bits(b)).collect();
    feed(rate, &floats, &input.frames);

    // A digit in bounded noise.
    let digit = Digit::ALL[usize::from(input.digit % 16)];
    let on_ms = 40 + u32::from(input.on_ms % 61);
    let mut tone = ToneGenerator::new(&ToneSpec::dtmf(digit, on_ms, 60), rate).unwrap();
    let offset = usize::from(input.offset) % (rate.hz() as usize / 10);
    let mut x = vec![0i16; offset + tone.total_samples().unwrap() as usize];
    tone.fill(&mut x[offset..]);
    if !input.noise.is_empty() {
        for (k, v) in x.iter_mut().enumerate() {
            let n = i32::from(input.noise[k % input.noise.len()]) % (NOISE_PEAK + 1);
            *v = (i32::from(*v) + n).clamp(-32768, 32767) as i16;
        }
    }
    let found = feed(rate, &x, &input.frames);
    assert_eq!(
        found,
        [digit],
        "{digit} for {on_ms} ms at {offset} in {rate}"
    );
});
