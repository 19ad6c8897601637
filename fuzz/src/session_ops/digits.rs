//! The keypad: presets of the DTMF map, `press`, and digits in band in a
//! supervisor's frames, which the model hears with its own
//! [`DtmfDetector`]: a digit mutes the supervisor from the frame that
//! recognises it and switches the mode from the next tick.

use barge::dtmf::{Digit, DtmfDetector, DtmfEvent};
use barge::keypad::DtmfMap;
use barge::{Error, Event, Mode, PartyId, ToneGenerator, ToneSpec};

use super::input::Who;
use super::model::Model;
use super::runner::Harness;
use crate::reference::{RefMode, RefSample};

fn dtmf_preset(k: u8) -> (DtmfMap, [Option<RefMode>; 16]) {
    let mut t = [None; 16];
    let with = |t: &mut [Option<RefMode>; 16], c: char, m: RefMode| {
        t[Digit::from_char(c).unwrap().event_code() as usize] = Some(m);
    };
    let map = match k % 4 {
        0 => DtmfMap::NONE,
        1 | 3 => {
            with(&mut t, '4', RefMode::Monitor);
            with(&mut t, '5', RefMode::Whisper);
            with(&mut t, '6', RefMode::Barge);
            if k % 4 == 3 {
                with(&mut t, '7', RefMode::PrivateWhisper);
                with(&mut t, '8', RefMode::CustomerOnly);
                DtmfMap::CHANSPY
                    .with(Digit::from_char('7').unwrap(), Mode::PrivateWhisper)
                    .with(Digit::from_char('8').unwrap(), Mode::CustomerOnly)
            } else {
                DtmfMap::CHANSPY
            }
        }
        _ => {
            with(&mut t, '0', RefMode::Monitor);
            with(&mut t, '1', RefMode::CustomerOnly);
            with(&mut t, '2', RefMode::Whisper);
            with(&mut t, '3', RefMode::Barge);
            DtmfMap::EAVESDROP
        }
    };
    (map, t)
}

impl<S: RefSample> Model<S> {
    /// In-band digits, in what the supervisors hand in as it is: each
    /// detecting supervisor's frame is silence for everyone while a digit is
    /// held (from the frame that recognises it). Returns the digits pressed
    /// this tick, by party.
    pub(super) fn listen_for_digits(&mut self) -> Vec<(usize, Digit)> {
        let mut digits = Vec::new();
        for (i, p) in self.parties.iter_mut().enumerate() {
            let Some(det) = p.dtmf.as_mut() else { continue };
            let silent = vec![S::SILENCE; self.spf];
            let frame = p.frame.as_deref().unwrap_or(&silent);
            let held = det.current().is_some();
            let events = det.process(frame);
            p.muted = held || det.current().is_some() || !events.is_empty();
            for e in events.iter() {
                if let DtmfEvent::Down { digit, .. } = *e {
                    digits.push((i, digit));
                }
            }
        }
        digits
    }

    /// The digits found in a tick: each switches its supervisor's mode from
    /// the next tick, through the policy and the gate as `press` does.
    pub(super) fn switch_on_digits(&mut self, digits: Vec<(usize, Digit)>) {
        for (i, digit) in digits {
            let mut mode = self.dtmf_map[digit.event_code() as usize];
            if let Some(refusal) = mode.and_then(|m| self.check_mode(i, m).err()) {
                self.tick_events.push(Event::Refused {
                    refusal,
                    at: self.tick + 1,
                });
                mode = None;
            }
            self.tick_events.push(Event::DigitPressed {
                party: self.parties[i].id,
                label: self.parties[i].label(),
                digit,
                in_band: true,
                mode: mode.map(RefMode::mode),
                at: self.tick + 1,
            });
            if let Some(m) = mode {
                self.change_mode(i, m, true);
            }
        }
    }

    pub(super) fn press(&mut self, id: PartyId, digit: Digit) -> Result<Option<Mode>, Error> {
        let i = self.supervisor(id)?;
        let mode = self.dtmf_map[digit.event_code() as usize];
        if let Some(m) = mode {
            if let Err(r) = self.check_mode(i, m) {
                return Err(self.refuse(r));
            }
        }
        self.record(Event::DigitPressed {
            party: id,
            label: self.parties[i].label(),
            digit,
            in_band: false,
            mode: mode.map(RefMode::mode),
            at: self.tick,
        });
        if let Some(m) = mode {
            self.change_mode(i, m, false);
        }
        Ok(mode.map(RefMode::mode))
    }

    pub(super) fn detect_dtmf(&mut self, id: PartyId, on: bool) -> Result<(), Error> {
        let i = self.supervisor(id)?;
        let rate = self.format.rate();
        let p = &mut self.parties[i];
        match (on, p.dtmf.is_some()) {
            (true, false) => p.dtmf = Some(DtmfDetector::new(rate)),
            (false, true) => p.dtmf = None,
            _ => {}
        }
        Ok(())
    }
}

impl<S: RefSample> Harness<S> {
    /// [`Op::PutDtmf`]: the next frame of a key held down.
    pub(super) fn put_dtmf(&mut self, w: Who, d: u8, on: u8) {
        let id = self.who(w);
        let leg = self.model.leg_format(id).unwrap_or(self.model.format);
        let d = d % 16;
        let key = self
            .keys
            .get(&id)
            .filter(|(k, g)| *k == d && !g.is_finished());
        let mut g = match key {
            Some((_, g)) => g.clone(),
            None => {
                let digit = Digit::from_event_code(d).unwrap();
                let spec = ToneSpec::dtmf(digit, 30 + on as u32 % 90, 40);
                ToneGenerator::new(&spec, leg.rate()).unwrap()
            }
        };
        let mut frame = vec![S::SILENCE; leg.samples_per_frame()];
        g.fill(&mut frame);
        self.keys.insert(id, (d, g));
        self.put(id, &frame);
    }

    /// [`Op::SetDtmfMap`] of a preset, and `dtmf_map` after it.
    pub(super) fn set_dtmf_map(&mut self, k: u8) {
        let (map, table) = dtmf_preset(k);
        self.s.get_mut().set_dtmf_map(map);
        for s in self.followers(false) {
            s.set_dtmf_map(map);
        }
        self.model.dtmf_map = table;
        assert_eq!(self.s.dtmf_map(), map);
    }

    /// [`Op::Press`].
    pub(super) fn press(&mut self, w: Who, d: u8) {
        let (id, digit) = (self.who(w), Digit::from_event_code(d % 16).unwrap());
        let _ = self.control("press", |s| s.press(id, digit), |m| m.press(id, digit));
    }

    /// [`Op::DetectDtmf`].
    pub(super) fn detect_dtmf(&mut self, w: Who, on: bool) {
        let id = self.who(w);
        // In-band detection on a leg at another rate hears the
        // converted audio, which this model does not follow.
        // Nor on a party that conceals loss: what it hears of concealed
        // audio is not modelled either.
        let on = on
            && self
                .model
                .leg_format(id)
                .map_or(true, |l| l.rate() == self.model.format.rate())
            && self
                .model
                .index(id)
                .map_or(true, |i| !self.model.parties[i].conceals);
        let _ = self.control(
            "detect_dtmf",
            |s| s.detect_dtmf(id, on),
            |m| m.detect_dtmf(id, on),
        );
    }
}
