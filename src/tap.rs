//! Recording taps: what a call recording hears, kept apart by party.
//!
//! A tap listens to the call and is heard by no one. It is not a party: it
//! takes no seat, hands in no frame and changes nothing any party hears. It
//! writes, every tick, either a **stereo** frame (the customer on one
//! channel, the agent's side on the other) or one **stem** per party (what
//! that party said). Either way a channel is what the call heard of its
//! talkers: each talker after its volume ([`Session::set_volume`]), with
//! non-finite samples removed, silence where a frame was missing, and none
//! of the host's route gains (those shape what one listener hears, not what
//! was said). A talker's channel opens with the same short ramp as any
//! route that opens, and closes at once.
//!
//! Which talkers a tap records is a rule, not a list, so that supervisors
//! and later joiners are picked up without the host doing anything:
//!
//! | talker | recorded | stereo channel |
//! |---|---|---|
//! | customer | always | customer |
//! | agent | always | agent side |
//! | supervisor in monitor | never (nobody hears it) | – |
//! | supervisor in barge or customer only | if the tap records supervisors | agent side |
//! | supervisor in whisper or private whisper | if the tap records supervisors **and** whispers | agent side |
//! | recorder | never (it does not talk) | – |
//! | announcement | if its audience includes recorders | agent side |
//!
//! A supervisor is on the agent's side of a stereo recording in every mode:
//! it speaks for the contact centre, and a customer's channel holds the
//! customer's voice alone. A tap that does not record whispers holds none
//! of a whisper, bit for bit: it is the tap of the same call without the
//! whispering supervisor.
//!
//! [`Session::set_volume`]: crate::Session::set_volume

use crate::error::Error;
use crate::format::SampleRate;
pub use crate::id::TapId;
use crate::route::{Role, Seat};

/// The most taps a session keeps at once.
pub const MAX_TAPS: usize = 4;

/// How a tap lays out what it records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
pub enum TapLayout {
    /// Two channels: the customer, and the agent's side (agents,
    /// supervisors). [`Session::tap_frame`] interleaves them, left first;
    /// [`Session::tap_channel`] gives each alone.
    ///
    /// [`Session::tap_frame`]: crate::Session::tap_frame
    /// [`Session::tap_channel`]: crate::Session::tap_channel
    Stereo,
    /// One channel per party on the call, in the order of
    /// [`Session::parties`]: [`Session::tap_stem`] gives one party's,
    /// [`Session::tap_frame`] all of them one after the other.
    ///
    /// [`Session::parties`]: crate::Session::parties
    /// [`Session::tap_stem`]: crate::Session::tap_stem
    /// [`Session::tap_frame`]: crate::Session::tap_frame
    Stems,
}

/// One channel of a stereo tap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
pub enum TapChannel {
    /// The customers.
    Customer,
    /// The agents, and the supervisors the tap records.
    Agent,
}

impl TapChannel {
    /// The channel on which a stereo tap records a talker of `role`, if it
    /// records it at all.
    pub const fn of(role: Role) -> Option<TapChannel> {
        match role {
            Role::Customer => Some(TapChannel::Customer),
            Role::Agent | Role::Supervisor | Role::Announcement => Some(TapChannel::Agent),
            Role::Recorder => None,
        }
    }
}

/// What a tap records and how: the argument of [`Session::add_tap`].
///
/// ```
/// use barge::{Tap, TapChannel};
/// // A stereo recording with the agent's side on the left, supervisors
/// // included where the customer heard them, whispers left out.
/// let tap = Tap::stereo().swapped();
/// assert_eq!(tap.left(), Some(TapChannel::Agent));
/// assert!(!tap.records_whispers() && tap.records_supervisors());
/// // Speech analytics: one stem per party at 16 kHz, with the whispers.
/// let stems = Tap::stems().with_whispers(true).at_rate(16000)?;
/// # let _ = stems;
/// # Ok::<(), barge::Error>(())
/// ```
///
/// [`Session::add_tap`]: crate::Session::add_tap
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Tap {
    layout: TapLayout,
    whispers: bool,
    supervisors: bool,
    swapped: bool,
    rate: Option<SampleRate>,
}

impl Tap {
    /// A stereo tap: the customer on the left, the agent's side on the
    /// right; supervisors recorded where the customer hears them, whispers
    /// not; at the call's rate.
    pub const fn stereo() -> Tap {
        Tap {
            layout: TapLayout::Stereo,
            whispers: false,
            supervisors: true,
            swapped: false,
            rate: None,
        }
    }

    /// One stem per party, recorded by the same rule as [`Tap::stereo`].
    pub const fn stems() -> Tap {
        Tap {
            layout: TapLayout::Stems,
            ..Tap::stereo()
        }
    }

    /// Whether supervisors who whisper (to the agent, not the customer)
    /// are recorded; only where supervisors are recorded at all.
    pub const fn with_whispers(self, whispers: bool) -> Tap {
        Tap { whispers, ..self }
    }

    /// Whether supervisors are recorded at all. Without, the tap holds the
    /// customers and agents alone, whatever any supervisor does.
    pub const fn with_supervisors(self, supervisors: bool) -> Tap {
        Tap {
            supervisors,
            ..self
        }
    }

    /// A stereo tap with the agent's side on the left and the customer on
    /// the right. No effect on stems.
    pub const fn swapped(self) -> Tap {
        Tap {
            swapped: !self.swapped,
            ..self
        }
    }

    /// The tap at `rate_hz`, which may differ from the call's: each channel
    /// is resampled (as a leg at another rate is) on its way out, with the
    /// resampler's delay of a few ms. An unsupported rate is
    /// [`Error::UnsupportedSampleRate`].
    pub const fn at_rate(self, rate_hz: u32) -> Result<Tap, Error> {
        match SampleRate::from_hz(rate_hz) {
            Ok(rate) => Ok(Tap {
                rate: Some(rate),
                ..self
            }),
            Err(e) => Err(e),
        }
    }

    /// The tap's layout.
    pub const fn layout(&self) -> TapLayout {
        self.layout
    }

    /// Whether the tap records whispers.
    pub const fn records_whispers(&self) -> bool {
        self.supervisors && self.whispers
    }

    /// Whether the tap records supervisors.
    pub const fn records_supervisors(&self) -> bool {
        self.supervisors
    }

    /// The rate asked for, if not the call's.
    pub const fn rate(&self) -> Option<SampleRate> {
        self.rate
    }

    /// Which channel of a stereo tap comes first in [`Session::tap_frame`];
    /// `None` for stems.
    ///
    /// [`Session::tap_frame`]: crate::Session::tap_frame
    pub const fn left(&self) -> Option<TapChannel> {
        match (self.layout, self.swapped) {
            (TapLayout::Stereo, false) => Some(TapChannel::Customer),
            (TapLayout::Stereo, true) => Some(TapChannel::Agent),
            _ => None,
        }
    }

    /// Whether the tap records a talker in `seat`: the rule in the
    /// [module docs](self).
    pub const fn records(&self, seat: Seat) -> bool {
        match seat.role {
            Role::Customer | Role::Agent => true,
            Role::Supervisor => {
                self.supervisors && seat.mode.heard_by(Role::Recorder, self.whispers)
            }
            Role::Recorder => false,
            Role::Announcement => seat.audience.includes(Role::Recorder),
        }
    }

    /// How many channels (rows of the mix) the tap has on a call of
    /// `parties` parties.
    pub(crate) const fn rows(&self, parties: usize) -> usize {
        match self.layout {
            TapLayout::Stereo => 2,
            TapLayout::Stems => parties,
        }
    }

    /// Whether channel `c` of the tap records the party at `t` (its
    /// position on the call), in `seat`: a stereo tap records the
    /// customer's side on channel 0 and the agent's on channel 1; stems
    /// record each party on a channel of its own.
    pub(crate) fn hears(&self, c: usize, t: usize, seat: Seat) -> bool {
        if !self.records(seat) {
            return false;
        }
        match self.layout {
            TapLayout::Stereo => {
                let side = if c == 0 {
                    TapChannel::Customer
                } else {
                    TapChannel::Agent
                };
                TapChannel::of(seat.role) == Some(side)
            }
            TapLayout::Stems => c == t,
        }
    }
}
