//! How many calls one core mixes in real time.
//!
//! ```sh
//! cargo run --release --example capacity -- [calls] [seconds]
//! ```
//!
//! Mixes `calls` concurrent three-party calls (8 kHz, 20 ms, i16) tick by
//! tick on one thread for `seconds` (default: 2000 calls, 3 s), with
//! supervisors switching between monitor, whisper and barge throughout, and
//! prints the ticks per second, the worst tick, the calls one core keeps in
//! real time, and the number of heap allocations made while mixing (zero).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use barge::{Format, Join, Mode, PartyId, Role, Session};

/// The system allocator, counting every allocation.
struct Counting;

/// The modes the supervisors cycle through.
const MODES: [Mode; 3] = [Mode::Monitor, Mode::Whisper, Mode::Barge];

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter is only an atomic increment.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

struct Call {
    session: Session<i16>,
    parties: [PartyId; 3],
    frames: [Vec<i16>; 3],
}

/// Speech-level noise, different for every party of every call.
fn frame(len: usize, seed: u32) -> Vec<i16> {
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            ((x >> 16) as i16) / 5
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let calls: usize = args.next().map_or(Ok(2000), |a| a.parse())?;
    let seconds: f64 = args.next().map_or(Ok(3.0), |a| a.parse())?;
    if !(seconds.is_finite() && seconds > 0.0 && seconds < 1e6) {
        return Err(format!("seconds must be a positive number, got {seconds}").into());
    }
    let format = Format::NARROWBAND_20MS;
    let spf = format.samples_per_frame();

    let mut all: Vec<Call> = (0..calls)
        .map(|i| {
            let mut session = Session::new(format);
            let parties = [
                session.join(Role::Customer)?,
                session.join(Role::Agent)?,
                session.join(Join::supervisor(MODES[i % 3]))?,
            ];
            let seed = 3 * i as u32;
            Ok(Call {
                session,
                parties,
                frames: [frame(spf, seed), frame(spf, seed + 1), frame(spf, seed + 2)],
            })
        })
        .collect::<Result<_, barge::Error>>()?;
    // The first tick applies the joins; events are drained every tick.
    for call in &mut all {
        call.session.mix();
        while call.session.poll_event().is_some() {}
    }

    let run = Duration::from_secs_f64(seconds);
    let allocations_before = ALLOCATIONS.load(Ordering::Relaxed);
    let started = Instant::now();
    let (mut ticks, mut worst, mut changes, mut checksum) = (0u64, Duration::ZERO, 0u64, 0i64);
    while started.elapsed() < run {
        let tick_started = Instant::now();
        for (i, call) in all.iter_mut().enumerate() {
            // Every call's supervisor moves on to the next mode once a
            // second, the calls staggered so that some change every tick.
            if (ticks + i as u64) % 50 == 0 {
                let supervisor = call.parties[2];
                let mode = call.session.mode(supervisor)?.unwrap_or(Mode::Monitor);
                let next = MODES[(MODES.iter().position(|&m| m == mode).unwrap_or(0) + 1) % 3];
                call.session.set_mode(supervisor, next)?;
                changes += 1;
            }
            for (&party, frame) in call.parties.iter().zip(&call.frames) {
                call.session.put_frame(party, frame)?;
            }
            call.session.mix();
            for &party in &call.parties {
                checksum += i64::from(call.session.output(party)?[0]);
            }
            while let Some(event) = call.session.poll_event() {
                black_box(event);
            }
        }
        worst = worst.max(tick_started.elapsed());
        ticks += 1;
    }
    let elapsed = started.elapsed();
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - allocations_before;
    black_box(checksum);

    let per_tick = elapsed / ticks.max(1) as u32;
    let ptime = format.ptime().duration().as_secs_f64();
    let per_call = per_tick.as_secs_f64() / calls as f64;
    println!("{calls} calls, 8 kHz, 20 ms frames, one thread, {elapsed:.2?}");
    println!(
        "ticks/s:                         {:.0}",
        ticks as f64 / elapsed.as_secs_f64()
    );
    println!("mean tick:                       {per_tick:.2?}");
    println!("worst tick:                      {worst:.2?}");
    println!("mode changes:                    {changes}");
    println!("calls per core in real time:     {:.0}", ptime / per_call);
    println!(
        "  (by the worst tick:            {:.0})",
        ptime / (worst.as_secs_f64() / calls as f64)
    );
    println!("allocations while mixing:        {allocations}");
    if allocations != 0 {
        return Err("the mixing loop allocated".into());
    }
    Ok(())
}
