//! Sets of modes: what a grant gives, and what a refusal says was granted.

use core::fmt;

use crate::route::Mode;

/// A set of [`Mode`]s. Iterates, and shows, in the order of [`Mode::ALL`].
///
/// ```
/// use barge::{Mode, ModeSet};
/// let coach = ModeSet::of(&[Mode::Whisper, Mode::Monitor]);
/// assert!(coach.contains(Mode::Monitor));
/// assert!(!coach.contains(Mode::Barge));
/// assert_eq!(coach.to_string(), "monitor, whisper");
/// assert_eq!(ModeSet::NONE.to_string(), "none");
/// assert_eq!(ModeSet::ALL.len(), Mode::ALL.len());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ModeSet(u8);

impl ModeSet {
    /// No mode.
    pub const NONE: ModeSet = ModeSet(0);
    /// Every mode of [`Mode::ALL`].
    pub const ALL: ModeSet = ModeSet::of(&Mode::ALL);

    /// The set of `modes`.
    pub const fn of(modes: &[Mode]) -> ModeSet {
        let mut set = ModeSet::NONE;
        let mut i = 0;
        while i < modes.len() {
            set = set.with(modes[i]);
            i += 1;
        }
        set
    }

    /// This set and `mode`.
    pub const fn with(self, mode: Mode) -> ModeSet {
        ModeSet(self.0 | bit(mode))
    }

    /// Adds `mode`; whether it was not in the set before.
    pub fn insert(&mut self, mode: Mode) -> bool {
        let new = !self.contains(mode);
        *self = self.with(mode);
        new
    }

    /// Removes `mode`; whether it was in the set.
    pub fn remove(&mut self, mode: Mode) -> bool {
        let held = self.contains(mode);
        self.0 &= !bit(mode);
        held
    }

    /// Whether `mode` is in the set.
    pub const fn contains(self, mode: Mode) -> bool {
        self.0 & bit(mode) != 0
    }

    /// The modes in either set.
    pub const fn union(self, other: ModeSet) -> ModeSet {
        ModeSet(self.0 | other.0)
    }

    /// The modes in both sets.
    pub const fn intersection(self, other: ModeSet) -> ModeSet {
        ModeSet(self.0 & other.0)
    }

    /// Whether the set has no mode.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// How many modes the set has.
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The modes, in the order of [`Mode::ALL`].
    pub fn iter(self) -> ModeSetIter {
        ModeSetIter { set: self, next: 0 }
    }
}

/// A mode's bit: its position in [`Mode::ALL`].
const fn bit(mode: Mode) -> u8 {
    match mode {
        Mode::Monitor => 1 << 0,
        Mode::Whisper => 1 << 1,
        Mode::PrivateWhisper => 1 << 2,
        Mode::CustomerOnly => 1 << 3,
        Mode::Barge => 1 << 4,
    }
}

/// The modes of a [`ModeSet`], in the order of [`Mode::ALL`].
#[derive(Debug, Clone)]
pub struct ModeSetIter {
    set: ModeSet,
    next: usize,
}

impl Iterator for ModeSetIter {
    type Item = Mode;

    fn next(&mut self) -> Option<Mode> {
        while let Some(&mode) = Mode::ALL.get(self.next) {
            self.next += 1;
            if self.set.contains(mode) {
                return Some(mode);
            }
        }
        None
    }
}

impl IntoIterator for ModeSet {
    type Item = Mode;
    type IntoIter = ModeSetIter;

    fn into_iter(self) -> ModeSetIter {
        self.iter()
    }
}

impl FromIterator<Mode> for ModeSet {
    fn from_iter<I: IntoIterator<Item = Mode>>(modes: I) -> ModeSet {
        modes.into_iter().fold(ModeSet::NONE, ModeSet::with)
    }
}

impl Extend<Mode> for ModeSet {
    fn extend<I: IntoIterator<Item = Mode>>(&mut self, modes: I) {
        *self = modes.into_iter().fold(*self, ModeSet::with);
    }
}

impl From<Mode> for ModeSet {
    fn from(mode: Mode) -> ModeSet {
        ModeSet::NONE.with(mode)
    }
}

impl<const N: usize> From<[Mode; N]> for ModeSet {
    fn from(modes: [Mode; N]) -> ModeSet {
        ModeSet::of(&modes)
    }
}

impl From<&[Mode]> for ModeSet {
    fn from(modes: &[Mode]) -> ModeSet {
        ModeSet::of(modes)
    }
}

impl core::ops::BitOr for ModeSet {
    type Output = ModeSet;

    fn bitor(self, other: ModeSet) -> ModeSet {
        self.union(other)
    }
}

impl core::ops::BitOrAssign for ModeSet {
    fn bitor_assign(&mut self, other: ModeSet) {
        *self = self.union(other);
    }
}

impl fmt::Debug for ModeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// The modes' names, comma-separated ("monitor, whisper"); "none" when
/// empty.
impl fmt::Display for ModeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        for (i, mode) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            fmt::Display::fmt(&mode, f)?;
        }
        Ok(())
    }
}

/// A list of modes in the order of [`Mode::ALL`]: `["monitor", "whisper"]`.
#[cfg(feature = "serde")]
impl serde::Serialize for ModeSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// From a list of modes; a mode named twice is in the set once.
#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for ModeSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<ModeSet, D::Error> {
        struct Modes;

        impl<'de> serde::de::Visitor<'de> for Modes {
            type Value = ModeSet;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of modes")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ModeSet, A::Error> {
                let mut set = ModeSet::NONE;
                while let Some(mode) = seq.next_element::<Mode>()? {
                    set.insert(mode);
                }
                Ok(set)
            }
        }

        deserializer.deserialize_seq(Modes)
    }
}
