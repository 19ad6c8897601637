//! Memory stays bounded whatever the host does: a million ticks of churn
//! (a mode change, a leave and a join every tick) with the audit trail never
//! drained hold no more heap than the first thousand did.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use barge::{Event, Format, Join, Mode, Role, Session, DEFAULT_EVENT_LIMIT};

/// Counts the bytes each thread holds on the heap, so that what the test
/// harness's own threads allocate meanwhile does not count.
struct Live;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn count(bytes: isize) {
    // `try_with`: a thread being torn down has no counter any more.
    let _ = LIVE.try_with(|live| live.set(live.get() + bytes));
}

unsafe impl GlobalAlloc for Live {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        count(new as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Live = Live;

/// The bytes this thread holds.
fn live() -> isize {
    LIVE.with(Cell::get)
}

#[test]
fn a_million_ticks_of_churn_never_drained_hold_flat_memory() {
    let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
    s.join(Role::Customer).unwrap();
    let mut agent = s.join(Role::Agent).unwrap();
    let supervisor = s.join(Join::supervisor(Mode::Monitor)).unwrap();
    let frame = [7i16; 160];
    let modes = [Mode::Whisper, Mode::Barge, Mode::Monitor];
    let mut churn = |s: &mut Session<i16>, tick: u64| {
        s.set_mode(supervisor, modes[(tick % 3) as usize]).unwrap();
        s.leave(agent).unwrap();
        agent = s.join(Role::Agent).unwrap();
        s.set_route_gain(agent, supervisor, -3.0).unwrap();
        s.put_frame(agent, &frame).unwrap();
        s.mix();
    };
    for tick in 0..1_000 {
        churn(&mut s, tick);
    }
    let after_warm_up = live();
    let mut peak = after_warm_up;
    for tick in 1_000..1_000_000 {
        churn(&mut s, tick);
        peak = peak.max(live());
    }
    let after = live();
    println!(
        "heap after 1,000 ticks: {after_warm_up} B; after 1,000,000: {after} B; peak {peak} B; \
         events kept {}",
        s.events_pending()
    );
    assert_eq!(after, after_warm_up, "the heap grew over the churn");
    assert_eq!(peak, after_warm_up, "the heap grew over the churn");
    // Four events a tick, a million ticks: the limit's worth is kept, the
    // rest counted in one marker that comes first.
    assert_eq!(s.events_pending(), DEFAULT_EVENT_LIMIT + 1);
    let Some(Event::Dropped {
        count, first_at, ..
    }) = s.poll_event()
    else {
        panic!("the first event is the count of the dropped ones");
    };
    assert_eq!(count, 4 * 1_000_000 + 3 - DEFAULT_EVENT_LIMIT as u64);
    assert_eq!(first_at, 0);
    let kept: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
    assert_eq!(kept.len(), DEFAULT_EVENT_LIMIT);
    // The newest are kept: the last 256 ticks' four events each.
    assert_eq!(kept[0].at(), 1_000_000 - DEFAULT_EVENT_LIMIT as u64 / 4);
    assert_eq!(kept[DEFAULT_EVENT_LIMIT - 1].at(), 999_999);
}
