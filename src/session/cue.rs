//! Cues: what a supervisor's change that sets one off is ([`CueOn`]), and
//! what it plays to whom ([`Cue`]). The session plays them
//! ([`Session::set_cue`](crate::Session::set_cue)).

use core::fmt;

use crate::dsp::tone::ToneSpec;
use crate::route::Audience;
/// A change to a supervisor that can set off a cue ([`Session::set_cue`](crate::Session::set_cue)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
pub enum CueOn {
    /// A supervisor joins (in any mode).
    Join,
    /// A supervisor leaves.
    Leave,
    /// A supervisor starts to whisper: [`Mode::Whisper`](crate::Mode::Whisper) or
    /// [`Mode::PrivateWhisper`](crate::Mode::PrivateWhisper) from a mode that is neither.
    Whisper,
    /// A supervisor starts to talk to the customer: [`Mode::Barge`](crate::Mode::Barge) or
    /// [`Mode::CustomerOnly`](crate::Mode::CustomerOnly) from a mode that is neither.
    Barge,
}

impl CueOn {
    /// Every kind of change, in order.
    pub const ALL: [CueOn; 4] = [CueOn::Join, CueOn::Leave, CueOn::Whisper, CueOn::Barge];

    pub(super) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for CueOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CueOn::Join => "a supervisor joins",
            CueOn::Leave => "a supervisor leaves",
            CueOn::Whisper => "a supervisor whispers",
            CueOn::Barge => "a supervisor barges",
        })
    }
}

/// A tone and who hears it: what plays when a [`CueOn`] change happens.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Cue {
    /// The tone.
    pub tone: ToneSpec,
    /// Who hears it.
    pub audience: Audience,
}
