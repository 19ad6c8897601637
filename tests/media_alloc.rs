//! A driver tick over every kind of ready-made leg allocates nothing, for
//! `i16` and `f32` sessions alike.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use barge::g711::Law;
use barge::media::{Driver, Fill, G711Sink, G711Source, Leg, MemorySink, MemorySource};
use barge::{Format, Join, Mode, Role, Sample, Session};

/// Counts the allocations made by the thread that is measuring; the test
/// harness's other threads are not counted.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static MEASURING: Cell<bool> = const { Cell::new(false) };
}

fn count() {
    if MEASURING.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter only reads a const-initialised thread-local flag, which does not
// allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    MEASURING.with(|m| m.set(true));
    f();
    MEASURING.with(|m| m.set(false));
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

/// A three-party call with a recorder, driven for `ticks` ticks through a
/// memory source, a G.711 source, a closure that loses every third frame,
/// a memory sink, a G.711 sink and a closure sink, with mode changes
/// between ticks.
fn drive<S: Sample>(sample: S, ticks: usize) -> usize
where
    G711Source<fn(&mut [u8]) -> Fill>: barge::media::Source<S>,
    G711Sink<fn(&[u8])>: barge::media::Sink<S>,
{
    let format = Format::NARROWBAND_20MS;
    let spf = format.samples_per_frame();
    let mut call = Session::<S>::new(format);
    let customer = call.join(Role::Customer).unwrap();
    let agent = call.join(Role::Agent).unwrap();
    let supervisor = call.join(Role::Supervisor).unwrap();
    let recorder = call.join(Join::recorder(false)).unwrap();

    let mut customer_says = MemorySource::looping(vec![sample; spf * 3 + 7]);
    let payload: fn(&mut [u8]) -> Fill = |p| {
        p.fill(0x9A);
        Fill::Frame
    };
    let mut agent_says = G711Source::new(Law::Ulaw, format, payload).unwrap();
    let mut n = 0u32;
    let mut supervisor_says = move |f: &mut [S]| {
        n += 1;
        if n % 3 == 0 {
            Fill::Missing
        } else {
            f.fill(sample);
            Fill::Frame
        }
    };
    let mut customer_hears = MemorySink::with_capacity(spf * ticks);
    let send: fn(&[u8]) = |p| assert_eq!(p.len(), 160);
    let mut agent_hears = G711Sink::new(Law::Alaw, format, send).unwrap();
    let mut heard = 0usize;
    let mut supervisor_hears = |f: &[S]| heard += f.len();
    let mut recorded = MemorySink::with_capacity(spf);

    let mut driver = Driver::new(format);
    let modes = [Mode::Whisper, Mode::Barge, Mode::Monitor];
    // Events are drained as a host would, every tick; the joins have
    // already given the queue room for them.
    while call.poll_event().is_some() {}
    allocations_in(|| {
        for t in 0..ticks {
            if t % 10 == 9 {
                call.set_mode(supervisor, modes[t / 10 % 3]).unwrap();
            }
            let tick = driver
                .tick(
                    &mut call,
                    &mut [
                        Leg::new(customer, &mut customer_says, &mut customer_hears),
                        Leg::new(agent, &mut agent_says, &mut agent_hears),
                        Leg::new(supervisor, &mut supervisor_says, &mut supervisor_hears),
                        Leg::listen_only(recorder, &mut recorded),
                    ],
                )
                .unwrap();
            assert_eq!(tick.heard, 4);
            while call.poll_event().is_some() {}
        }
    })
}

#[test]
fn a_driver_tick_allocates_nothing() {
    let counted = allocations_in(|| drop(std::hint::black_box(vec![0u8; 64])));
    assert_eq!(counted, 1, "the counter sees an allocation");
    assert_eq!(drive(1234i16, 200), 0, "i16 ticks allocated");
    assert_eq!(drive(0.25f32, 200), 0, "f32 ticks allocated");
}
