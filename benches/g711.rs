//! G.711 cost per 20 ms frame at 8 kHz (160 samples), beside a copy of the
//! same frame measured in the same run.
//!
//! ```sh
//! cargo bench --bench g711
//! ```
//!
//! - `g711/{ulaw,alaw}/encode/160`: [`Law::encode`] of 160 `i16` samples.
//! - `g711/{ulaw,alaw}/decode/160`: [`Law::decode`] of 160 code bytes.
//! - `g711/{ulaw,alaw}/{encode,decode}_f32/160`: the same for `f32`.
//! - `baseline/memcpy/g711/160`: copying the 160 `i16` samples (320 bytes)
//!   of a frame into another buffer, the floor: every encode reads those
//!   bytes and every decode writes them.
//!
//! After the runs, the bench prints the medians and their ratios to the
//! copy.

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;

use barge::g711::Law;
use criterion::{Criterion, Throughput};

const N: usize = 160;

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

/// Speech-level samples: spread over every segment, mostly the lower ones.
fn speech() -> Vec<i16> {
    noise(1)
        .take(N)
        .map(|x| ((x >> 16) as i16) >> (x & 7))
        .collect()
}

fn benches(c: &mut Criterion) {
    let pcm = speech();
    let pcm_f: Vec<f32> = pcm.iter().map(|&x| f32::from(x) / 32768.0).collect();
    let codes: Vec<u8> = noise(2).take(N).map(|x| (x >> 24) as u8).collect();

    let mut g = c.benchmark_group("g711");
    g.throughput(Throughput::Elements(N as u64));
    for (name, law) in [("ulaw", Law::Ulaw), ("alaw", Law::Alaw)] {
        let mut out = [0u8; N];
        g.bench_function(format!("{name}/encode/{N}"), |b| {
            b.iter(|| law.encode(black_box(&pcm), black_box(&mut out)))
        });
        let mut out = [0i16; N];
        g.bench_function(format!("{name}/decode/{N}"), |b| {
            b.iter(|| law.decode(black_box(&codes), black_box(&mut out)))
        });
        let mut out = [0u8; N];
        g.bench_function(format!("{name}/encode_f32/{N}"), |b| {
            b.iter(|| law.encode_f32(black_box(&pcm_f), black_box(&mut out)))
        });
        let mut out = [0f32; N];
        g.bench_function(format!("{name}/decode_f32/{N}"), |b| {
            b.iter(|| law.decode_f32(black_box(&codes), black_box(&mut out)))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("baseline");
    g.throughput(Throughput::Elements(N as u64));
    let mut out = [0i16; N];
    g.bench_function(format!("memcpy/g711/{N}"), |b| {
        b.iter(|| black_box(&mut out).copy_from_slice(black_box(&pcm)))
    });
    g.finish();
}

fn table() {
    let floor = "baseline/memcpy/g711/160";
    let Some(copy) = common::median_ns(floor) else {
        return;
    };
    println!("\nmedians per 160-sample frame (this run), and ratio to {floor}:");
    println!("  {floor:<28} {copy:>8.1} ns");
    for law in ["ulaw", "alaw"] {
        for op in ["encode", "decode", "encode_f32", "decode_f32"] {
            let id = format!("g711/{law}/{op}/160");
            if let Some(ns) = common::median_ns(&id) {
                println!("  {id:<28} {ns:>8.1} ns  {:>6.2}", ns / copy);
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
