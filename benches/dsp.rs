//! The DTMF detector and the tone generator per 20 ms frame, at 8 and
//! 48 kHz, beside a copy of the same frame measured in the same run.
//!
//! ```sh
//! cargo bench --bench dsp
//! ```
//!
//! - `dtmf/{i16,f32}/{160,960}`: [`DtmfDetector::process`] of one frame of
//!   speech-like noise (no digit: the usual case).
//! - `tone/{i16,f32}/{160,960}`: [`ToneGenerator::fill`] of one frame of a
//!   dual tone (a DTMF digit, sent for ever).
//! - `baseline/memcpy/dsp/{160,960}`: copying the frame's `i16` samples
//!   into another buffer.
//!
//! After the runs, the bench prints the medians and their ratios to the
//! copy of the same length.

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;

use barge::dtmf::{Digit, DtmfDetector};
use barge::tone::{Cadence, Repeat, ToneGenerator, ToneSpec};
use barge::SampleRate;
use criterion::{Criterion, Throughput};

/// Pseudo-random values (xorshift), the same every run.
fn noise(seed: u32) -> impl Iterator<Item = u32> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    core::iter::repeat_with(move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    })
}

fn benches(c: &mut Criterion) {
    for (rate, n) in [(SampleRate::Hz8000, 160usize), (SampleRate::Hz48000, 960)] {
        let pcm: Vec<i16> = noise(1).take(n).map(|x| ((x >> 16) as i16) >> 3).collect();
        let pcm_f: Vec<f32> = pcm.iter().map(|&x| f32::from(x) / 32768.0).collect();
        let spec = ToneSpec::dtmf(Digit::Five, 100, 0)
            .with_edge_ms(0)
            .with_cadence(Cadence::new(100, 0, Repeat::Forever));

        let mut g = c.benchmark_group("dtmf");
        g.throughput(Throughput::Elements(n as u64));
        let mut d = DtmfDetector::new(rate);
        g.bench_function(format!("i16/{n}"), |b| {
            b.iter(|| d.process(black_box(&pcm[..])))
        });
        let mut d = DtmfDetector::new(rate);
        g.bench_function(format!("f32/{n}"), |b| {
            b.iter(|| d.process(black_box(&pcm_f[..])))
        });
        g.finish();

        let mut g = c.benchmark_group("tone");
        g.throughput(Throughput::Elements(n as u64));
        let mut t = ToneGenerator::new(&spec, rate).unwrap();
        let mut out = vec![0i16; n];
        g.bench_function(format!("i16/{n}"), |b| {
            b.iter(|| t.fill(black_box(&mut out[..])))
        });
        let mut t = ToneGenerator::new(&spec, rate).unwrap();
        let mut out = vec![0f32; n];
        g.bench_function(format!("f32/{n}"), |b| {
            b.iter(|| t.fill(black_box(&mut out[..])))
        });
        g.finish();

        let mut g = c.benchmark_group("baseline");
        g.throughput(Throughput::Elements(n as u64));
        let mut out = vec![0i16; n];
        g.bench_function(format!("memcpy/dsp/{n}"), |b| {
            b.iter(|| black_box(&mut out[..]).copy_from_slice(black_box(&pcm)))
        });
        g.finish();
    }
}

fn table() {
    for n in [160, 960] {
        let floor = format!("baseline/memcpy/dsp/{n}");
        let Some(copy) = common::median_ns(&floor) else {
            continue;
        };
        println!("\nmedians per {n}-sample frame (this run), and ratio to {floor}:");
        println!("  {floor:<28} {copy:>8.1} ns");
        for id in ["dtmf/i16", "dtmf/f32", "tone/i16", "tone/f32"] {
            let id = format!("{id}/{n}");
            if let Some(ns) = common::median_ns(&id) {
                println!("  {id:<28} {ns:>8.1} ns  {:>6.1}", ns / copy);
            }
        }
    }
}

fn main() {
    let mut c = common::config().configure_from_args();
    benches(&mut c);
    c.final_summary();
    table();
}
