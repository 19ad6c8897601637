//! Ids of parties and taps. An id belongs to the session that issued it:
//! it carries the session's tag, so that another session refuses it
//! whatever its number, and it is never reused.

use core::fmt;

/// A party's id: bound to the session that issued it and never reused, even
/// after the party leaves.
///
/// Every session has a tag of its own, drawn from a process-wide counter
/// when it is created ([`Session::new`](crate::Session::new); a clone keeps its original's tag, as
/// it is a snapshot of the same call). An id carries that tag, so that an id
/// of another session is refused with [`Error::ForeignParty`](crate::Error::ForeignParty) whatever its
/// number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartyId {
    pub(crate) call: u64,
    pub(crate) n: u32,
}

impl PartyId {
    /// The id's number within its session, in order of joining from 0.
    pub const fn get(self) -> u32 {
        self.n
    }
}

impl fmt::Display for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.n)
    }
}

/// A tag no other session of this process has (it would take 2⁶⁴ sessions
/// to come round again; 2³² where the target has no 64-bit atomics).
pub(crate) fn new_call_tag() -> u64 {
    #[cfg(target_has_atomic = "64")]
    {
        use core::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        NEXT.fetch_add(1, Ordering::Relaxed)
    }
    #[cfg(not(target_has_atomic = "64"))]
    {
        use core::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        u64::from(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// A tap of one session, as [`Session::add_tap`] returned it. Like a
/// [`PartyId`], it belongs to its session and is never reused.
///
/// [`Session::add_tap`]: crate::Session::add_tap
/// [`PartyId`]: crate::PartyId
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TapId {
    pub(crate) call: u64,
    pub(crate) n: u32,
}

impl TapId {
    /// The tap's number within its session, in order of adding from 0.
    pub const fn get(self) -> u32 {
        self.n
    }
}

impl fmt::Display for TapId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tap #{}", self.n)
    }
}
