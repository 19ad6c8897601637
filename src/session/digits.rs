//! The keypad: a supervisor's digits, pressed (RFC 4733 events the host
//! parsed) or found in its audio, switching its mode.

use alloc::boxed::Box;

use super::events::Event;
use super::Session;
use crate::dsp::digit::Digit;
use crate::dsp::dtmf::{DtmfDetector, DtmfEvent};
use crate::dsp::kernel::Sample;
use crate::error::Error;
use crate::id::PartyId;
use crate::keypad::DtmfMap;
use crate::route::{Mode, Role};

/// # The keypad
///
/// A supervisor's digits, pressed (RFC 4733 events the host parsed) or
/// found in its audio, switching its mode.
impl<S: Sample> Session<S> {
    /// What the supervisors' digits do from now on ([`DtmfMap::NONE`],
    /// nothing, until set).
    pub fn set_dtmf_map(&mut self, map: DtmfMap) {
        self.dtmf_map = map;
    }

    /// What the supervisors' digits do.
    pub fn dtmf_map(&self) -> DtmfMap {
        self.dtmf_map
    }

    /// A supervisor pressed `digit`, as an RFC 4733 telephone event the
    /// host has parsed says (call it at the event's start, once per key
    /// press: the host drops the event's retransmissions and end packets).
    /// The digit goes on the audit trail ([`Event::DigitPressed`]) and, if
    /// the session's [`DtmfMap`] maps it, switches the supervisor's mode
    /// from the next tick as [`Session::set_mode`] would; returns that
    /// mode. A party that is not a supervisor is [`Error::NotASupervisor`].
    ///
    /// ```
    /// use barge::{Format, Join, Mode, Session, dtmf::Digit, keypad::DtmfMap};
    /// let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    /// call.set_dtmf_map(DtmfMap::CHANSPY);
    /// let boss = call.join(Join::supervisor(Mode::Monitor))?;
    /// assert_eq!(call.press(boss, Digit::Five)?, Some(Mode::Whisper));
    /// assert_eq!(call.mode(boss)?, Some(Mode::Whisper));
    /// assert_eq!(call.press(boss, Digit::Hash)?, None); // recorded, nothing else
    /// # Ok::<(), barge::Error>(())
    /// ```
    pub fn press(&mut self, party: PartyId, digit: Digit) -> Result<Option<Mode>, Error> {
        let i = self.supervisor(party)?;
        let mode = self.dtmf_map.mode(digit);
        if let Some(m) = mode {
            if let Err(refusal) = self.check_mode(i, m) {
                return Err(self.refuse(refusal));
            }
        }
        let label = self.label(i);
        self.record(Event::DigitPressed {
            party,
            label,
            digit,
            in_band: false,
            mode,
            at: self.tick,
        });
        if let Some(mode) = mode {
            self.change_mode(i, mode, false);
        }
        self.prepare();
        Ok(mode)
    }

    /// Whether the session looks for DTMF digits in a supervisor's own
    /// audio (at the call's rate, after its leg's conversion), for legs
    /// that carry the keypad in band. A digit found switches the mode as
    /// [`Session::press`] does, from the tick after the one in which it is
    /// recognised, and is on the audit trail with `in_band`. The
    /// supervisor's audio is silence for everyone in every tick in which a
    /// digit is held (the one in which it is recognised and the one in which
    /// its tone ends included), so that what reaches anyone of a key press
    /// is the frames before the one that recognises it: less than the 25 to
    /// 30 ms recognition takes (see [`crate::dtmf`]; `tests/keypad.rs`
    /// measures 17 to 20 ms at 8, 16 and 48 kHz for a key pressed in barge),
    /// and in monitor nothing, as always. A party that is not a supervisor
    /// is [`Error::NotASupervisor`].
    pub fn detect_dtmf(&mut self, party: PartyId, detect: bool) -> Result<(), Error> {
        let i = self.supervisor(party)?;
        let rate = self.format.rate();
        let p = &mut self.parties[i];
        match (detect, p.dtmf.is_some()) {
            (true, false) => p.dtmf = Some(Box::new(DtmfDetector::new(rate))),
            (false, true) => p.dtmf = None,
            _ => {}
        }
        p.update_plain();
        Ok(())
    }

    /// Party `party`'s index, if it is a supervisor.
    pub(super) fn supervisor(&self, party: PartyId) -> Result<usize, Error> {
        let i = self.index(party)?;
        let role = self.parties[i].seat.role;
        if role != Role::Supervisor {
            return Err(Error::NotASupervisor { party, role });
        }
        Ok(i)
    }

    /// Runs the supervisors' digit detectors over this tick's frames:
    /// party `i`'s at the call's rate is `borrowed(i)` where that is some,
    /// else its input buffer (silence where it handed in nothing). Returns
    /// the parties whose audio is silence this tick (bit `i`): those that
    /// hold a digit.
    pub(super) fn detect_digits<'f>(
        &mut self,
        borrowed: impl Fn(usize) -> Option<&'f [S]>,
        has: u32,
    ) -> u32
    where
        S: 'f,
    {
        let mut muted = 0u32;
        let spf = self.spf;
        for i in 0..self.parties.len() {
            let Some(detector) = self.parties[i].dtmf.as_deref_mut() else {
                continue;
            };
            let own = &mut self.inputs[i * spf..(i + 1) * spf];
            let held_before = detector.current().is_some();
            let events = match borrowed(i) {
                Some(frame) => detector.process(frame),
                None => {
                    if has & (1 << i) == 0 {
                        own.fill(S::SILENCE);
                    }
                    detector.process(own)
                }
            };
            // A frame in which a digit was held at any moment: also the one
            // that ends it, which holds its tail.
            if held_before || detector.current().is_some() || !events.is_empty() {
                muted |= 1 << i;
            }
            for event in events {
                if let DtmfEvent::Down { digit, .. } = event {
                    let mut mode = self.dtmf_map.mode(digit);
                    if let Some(refusal) = mode.and_then(|m| self.check_mode(i, m).err()) {
                        self.record_in_tick(Event::Refused {
                            refusal,
                            at: self.tick + 1,
                        });
                        mode = None;
                    }
                    let (party, label) = (self.parties[i].id, self.label(i));
                    self.record_in_tick(Event::DigitPressed {
                        party,
                        label,
                        digit,
                        in_band: true,
                        mode,
                        at: self.tick + 1,
                    });
                    if let Some(mode) = mode {
                        self.change_mode(i, mode, true);
                    }
                }
            }
        }
        muted
    }
}
