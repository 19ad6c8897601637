//! Supervisor modes from the keypad: which DTMF digit switches to which
//! mode.
//!
//! A [`DtmfMap`] turns a digit a supervisor presses into a mode change,
//! through the same checks and audit trail as [`Session::set_mode`]. The
//! session takes digits two ways: RFC 4733 telephone events the host has
//! parsed ([`Session::press`], at the event's start), and in-band tones in
//! the supervisor's own audio ([`Session::detect_dtmf`], with the
//! [`DtmfDetector`](crate::dtmf::DtmfDetector)).
//!
//! Presets match what telephony users know:
//!
//! | preset | 0 | 1 | 2 | 3 | 4 | 5 | 6 |
//! |---|---|---|---|---|---|---|---|
//! | [`DtmfMap::CHANSPY`] (Asterisk ChanSpy with `d`) | | | | | monitor | whisper | barge |
//! | [`DtmfMap::EAVESDROP`] (FreeSWITCH eavesdrop) | monitor | customer only | whisper | barge | | | |
//!
//! [`Session::set_mode`]: crate::Session::set_mode
//! [`Session::press`]: crate::Session::press
//! [`Session::detect_dtmf`]: crate::Session::detect_dtmf

use crate::dsp::digit::Digit;
use crate::route::Mode;

/// Which digit switches a supervisor to which mode.
///
/// ```
/// use barge::dtmf::Digit;
/// use barge::keypad::DtmfMap;
/// use barge::Mode;
/// let map = DtmfMap::CHANSPY.with(Digit::from_char('7')?, Mode::PrivateWhisper);
/// assert_eq!(map.mode(Digit::from_char('5')?), Some(Mode::Whisper));
/// assert_eq!(map.mode(Digit::from_char('7')?), Some(Mode::PrivateWhisper));
/// assert_eq!(map.mode(Digit::from_char('#')?), None);
/// # Ok::<(), barge::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DtmfMap {
    /// Indexed by the digit's RFC 4733 event code.
    modes: [Option<Mode>; 16],
}

impl DtmfMap {
    /// No digit does anything.
    pub const NONE: DtmfMap = DtmfMap { modes: [None; 16] };

    /// Asterisk ChanSpy's `d` option: 4 monitor, 5 whisper, 6 barge.
    pub const CHANSPY: DtmfMap = DtmfMap::NONE
        .with(Digit::Four, Mode::Monitor)
        .with(Digit::Five, Mode::Whisper)
        .with(Digit::Six, Mode::Barge);

    /// FreeSWITCH eavesdrop: 0 monitor, 1 talk to the customer only, 2
    /// whisper to the agent, 3 three-way.
    pub const EAVESDROP: DtmfMap = DtmfMap::NONE
        .with(Digit::Zero, Mode::Monitor)
        .with(Digit::One, Mode::CustomerOnly)
        .with(Digit::Two, Mode::Whisper)
        .with(Digit::Three, Mode::Barge);

    /// This map with `digit` switching to `mode`.
    pub const fn with(mut self, digit: Digit, mode: Mode) -> DtmfMap {
        self.modes[digit.event_code() as usize] = Some(mode);
        self
    }

    /// This map with `digit` doing nothing.
    pub const fn without(mut self, digit: Digit) -> DtmfMap {
        self.modes[digit.event_code() as usize] = None;
        self
    }

    /// The mode `digit` switches to, if any.
    pub const fn mode(&self, digit: Digit) -> Option<Mode> {
        self.modes[digit.event_code() as usize]
    }
}
