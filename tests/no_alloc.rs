//! `mix` never allocates: proven with a counting global allocator over
//! thousands of ticks of a call with mode changes, volume changes, overrides
//! and ramps, in both sample types.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use barge::{Format, Mode, PartyId, Role, Sample, Session, Tap};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// Runs `ticks` ticks and returns how many allocations the mixing calls made.
fn run<S: Sample>(format: Format, frames: [Vec<S>; 4], ticks: u64) -> u64 {
    let mut s = Session::<S>::new(format);
    s.set_ramp(Duration::from_millis(10)).unwrap();
    let c = s.join(Role::Customer).unwrap();
    let a = s.join(Role::Agent).unwrap();
    let v = s.join(Role::Supervisor).unwrap();
    let r = s.join_recorder(true).unwrap();
    let ids = [c, a, v, r];
    // Recording taps: stereo at the call's rate, stems at another.
    let other_rate = if format.rate().hz() == 8000 {
        16000
    } else {
        8000
    };
    let taps = [
        s.add_tap(Tap::stereo().with_whispers(true)).unwrap(),
        s.add_tap(Tap::stems().at_rate(other_rate).unwrap())
            .unwrap(),
    ];
    while s.poll_event().is_some() {}
    let mut rng = common::Rng::new(42);
    let mut during_mix = 0;
    for tick in 0..ticks {
        // Control calls between ticks: a mode change every few ticks, so
        // that many ticks ramp.
        if tick % 7 == 0 {
            let mode = Mode::ALL[rng.below(Mode::ALL.len() as u64) as usize];
            s.set_mode(v, mode).unwrap();
        }
        if tick % 11 == 0 {
            s.set_volume(a, -(rng.below(20) as f32)).unwrap();
        }
        if tick % 13 == 0 {
            s.set_route_gain(c, a, -3.0).unwrap();
        }
        if tick % 13 == 6 {
            s.clear_route_gain(c, a).unwrap();
        }
        while s.poll_event().is_some() {}
        let before = allocations();
        if tick % 2 == 0 {
            for (id, f) in ids.iter().zip(&frames) {
                if rng.chance(90) {
                    s.put_frame(*id, f).unwrap();
                }
            }
            s.mix();
        } else {
            // Borrowed frames, every party or some.
            let mut borrowed: [(PartyId, &[S]); 4] = [(c, &[]); 4];
            let mut k = 0;
            for (id, f) in ids.iter().zip(&frames) {
                if rng.chance(90) {
                    borrowed[k] = (*id, f);
                    k += 1;
                }
            }
            s.mix_frames(&borrowed[..k]).unwrap();
        }
        for id in ids {
            std::hint::black_box(s.output(id).unwrap());
        }
        for t in taps {
            std::hint::black_box(s.tap_frame(t).unwrap());
        }
        during_mix += allocations() - before;
    }
    assert_eq!(
        s.party(c).unwrap().stats.frames_mixed + s.party(c).unwrap().stats.frames_missing,
        ticks
    );
    during_mix
}

#[test]
fn mixing_allocates_nothing_after_the_parties_have_joined() {
    let n = 160;
    let i16_frames = [
        vec![1000i16; n],
        vec![-2000; n],
        vec![i16::MAX; n],
        vec![5; n],
    ];
    assert_eq!(run(Format::NARROWBAND_20MS, i16_frames, 5_000), 0);

    let n = 480;
    let f32_frames = [
        vec![0.25f32; n],
        vec![f32::NAN; n],
        vec![1.0; n],
        vec![-0.5; n],
    ];
    assert_eq!(run(Format::WEBRTC_10MS, f32_frames, 5_000), 0);

    // The counter does count: joining a party allocates its frames.
    let before = allocations();
    let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
    s.join(Role::Customer).unwrap();
    assert!(allocations() > before);
}
