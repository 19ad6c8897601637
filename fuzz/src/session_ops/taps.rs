//! Recording taps: their calls and errors, what each channel records (as
//! the reference mixes it where it can, as in the twin and in the shadows),
//! and the untapped twin, which shows that taps change nothing anyone
//! hears.

use std::sync::OnceLock;

use barge::{Error, Event, Format, PartyId, Session, Tap, TapChannel, TapId, TapLayout, MAX_TAPS};

use super::input::{TapArg, TapWho, RATES};
use super::model::Model;
use super::party::RefParty;
use super::runner::{same, same_frame, Harness};
use super::shadows::{Hidden, SHADOWS};
use crate::reference::{RefMode, RefRole, RefSample, RefTalker};

/// Tap ids `0..64` of a session of their own: foreign to every session of
/// a case.
fn any_tap(n: usize) -> TapId {
    static IDS: OnceLock<Vec<TapId>> = OnceLock::new();
    IDS.get_or_init(|| {
        let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
        s.set_event_limit(0);
        (0..64)
            .map(|_| {
                let id = s.add_tap(Tap::stereo()).unwrap();
                s.remove_tap(id).unwrap();
                id
            })
            .collect()
    })[n % 64]
}

/// A tap channel: its tap, and its party (a stem) or its index (stereo).
pub(super) type TapKey = (TapId, Option<PartyId>, usize);

/// The model's view of one recording tap.
#[derive(Debug, Clone)]
pub(super) struct RefTap<S> {
    pub(super) id: TapId,
    /// As handed to `add_tap`.
    config: Tap,
    /// What the harness asked for, kept apart from `config`'s accessors.
    pub(super) arg: TapArg,
    /// Its rate, the call's frame duration.
    pub(super) format: Format,
    /// What each channel recorded in the last tick, at the tap's rate:
    /// customer then agent side for stereo, one per party (in order) for
    /// stems. As the reference mixes it where `exact`, else as the
    /// session gave it.
    pub(super) channels: Vec<Vec<S>>,
    /// Per channel: whether the reference predicted it this tick (the tap
    /// at the call's rate, no leg at another rate recorded on it, not even
    /// fading out).
    pub(super) exact: Vec<bool>,
    /// Samples clipped on the way to the tap: predicted while every channel
    /// is exact, else as the session counted.
    pub(super) clipped: u64,
}

impl<S> RefTap<S> {
    /// Whether the tap records a talker in `role` at all: customers and
    /// agents always; a supervisor in barge or customer-only if it records
    /// supervisors, in whisper or private whisper if it also records
    /// whispers, in monitor never; recorders never.
    pub(super) fn records(&self, role: RefRole) -> bool {
        match role {
            RefRole::Customer | RefRole::Agent => true,
            RefRole::Recorder { .. } => false,
            RefRole::Announcement { audience } => audience & 8 != 0,
            RefRole::Supervisor(m) => {
                self.arg.supervisors
                    && match m {
                        RefMode::Monitor => false,
                        RefMode::Barge | RefMode::CustomerOnly => true,
                        RefMode::Whisper | RefMode::PrivateWhisper => self.arg.whispers,
                    }
            }
        }
    }

    /// Whether channel `c` records the talker at `t`, in `role`: the
    /// customer channel (0) customers, the agent side (1) agents and
    /// supervisors; a stem its own party.
    pub(super) fn on_channel(&self, c: usize, t: usize, role: RefRole) -> bool {
        self.records(role)
            && if self.arg.stems {
                c == t
            } else {
                (c == 0) == (role == RefRole::Customer)
            }
    }

    /// A channel's key in [`Model::tap_current`].
    pub(super) fn key(&self, c: usize, parties: &[RefParty<S>]) -> TapKey {
        if self.arg.stems {
            (self.id, Some(parties[c].id), 0)
        } else {
            (self.id, None, c)
        }
    }

    /// The frame `tap_frame` gives: stereo interleaved, left first
    /// (the customer unless swapped), stems one after the other.
    pub(super) fn frame(&self) -> Vec<S>
    where
        S: Copy,
    {
        if self.arg.stems {
            return self.channels.concat();
        }
        let (l, r) = if self.arg.swapped { (1, 0) } else { (0, 1) };
        self.channels[l]
            .iter()
            .zip(&self.channels[r])
            .flat_map(|(&a, &b)| [a, b])
            .collect()
    }
}

impl<S: RefSample> Model<S> {
    fn tap_index(&self, id: TapId) -> Result<usize, Error> {
        match self.taps.iter().position(|t| t.id == id) {
            Some(k) => Ok(k),
            None if self.snapshot_taps.contains(&id) => Err(Error::UnknownTap { tap: id }),
            None => Err(Error::ForeignTap { tap: id }),
        }
    }

    /// Samples per frame of a tap at `format`'s rate.
    pub(super) fn tap_spf(&self, format: Format) -> usize {
        (format.rate().hz() / 1000 * self.format.ptime().ms()) as usize
    }

    /// `add_tap`; `id` is the tap id a snapshot hands out as its next.
    pub(super) fn add_tap(
        &mut self,
        config: Tap,
        arg: TapArg,
        hz: u32,
        id: TapId,
    ) -> Result<TapId, Error> {
        if self.taps.len() >= MAX_TAPS {
            return Err(Error::TooManyTaps { max: MAX_TAPS });
        }
        let format = Format::new(hz, self.format.ptime().ms()).unwrap();
        let rows = if arg.stems { self.parties.len() } else { 2 };
        let spf = self.tap_spf(format);
        self.taps.push(RefTap {
            id,
            config,
            arg,
            format,
            channels: vec![vec![S::SILENCE; spf]; rows],
            exact: vec![true; rows],
            clipped: 0,
        });
        self.taps_added += 1;
        self.record(Event::TapAdded {
            tap: id,
            config,
            at: self.tick,
        });
        Ok(id)
    }

    pub(super) fn remove_tap(&mut self, id: TapId) -> Result<(), Error> {
        let k = self.tap_index(id)?;
        self.taps.remove(k);
        self.tap_current.retain(|&((t, _, _), _), _| t != id);
        self.record(Event::TapRemoved {
            tap: id,
            at: self.tick,
        });
        Ok(())
    }

    /// `tap_stem`: the tap first, then the party, then the layout.
    pub(super) fn tap_stem(&self, id: TapId, party: PartyId) -> Result<&[S], Error> {
        let k = self.tap_index(id)?;
        let i = self.index(party)?;
        let t = &self.taps[k];
        if !t.arg.stems {
            return Err(Error::NotStems { tap: id });
        }
        Ok(&t.channels[i])
    }

    pub(super) fn tap_channel(&self, id: TapId, channel: TapChannel) -> Result<&[S], Error> {
        let t = &self.taps[self.tap_index(id)?];
        if t.arg.stems {
            return Err(Error::NotStereo { tap: id });
        }
        Ok(&t.channels[match channel {
            TapChannel::Customer => 0,
            TapChannel::Agent => 1,
        }])
    }

    /// The taps' part of a tick: each channel a listener that hears the
    /// talkers it records at their volume (no route gains), ramping in as
    /// a route does and closing at once; predicted where the tap is at the
    /// call's rate and no leg at another rate is heard on the channel.
    pub(super) fn mix_taps(&mut self) {
        let n = self.parties.len();
        let gated = self.gated();
        let mut next = Vec::new();
        for k in 0..self.taps.len() {
            let tap = &self.taps[k];
            let at_call_rate = tap.format.rate() == self.format.rate();
            let mut clipped_all = 0;
            let mut results = Vec::new();
            for c in 0..tap.channels.len() {
                let key = tap.key(c, &self.parties);
                let mut known = at_call_rate;
                let mut talkers = Vec::new();
                for t in 0..n {
                    let tp = &self.parties[t];
                    // Before the disclosure no tap records anything.
                    let (from, to) = if !gated && tap.on_channel(c, t, tp.role) {
                        let cur = self.tap_current.get(&(key, tp.id)).copied().unwrap_or(0.0);
                        (cur, tp.volume.linear())
                    } else {
                        (0.0, 0.0)
                    };
                    next.push(((key, tp.id), to));
                    let lately = tp.converted_at.is_some_and(|at| self.tick - at <= 2);
                    if self.converted(t) || lately || !tp.unconcealed(self.tick) {
                        known &= from == 0.0 && to == 0.0;
                    } else if let Some(f) = tp.frame.as_ref().filter(|_| !tp.muted) {
                        talkers.push(RefTalker {
                            samples: f,
                            from,
                            to,
                            ramp: self.ramp_samples,
                        });
                    }
                }
                let mut out = vec![S::SILENCE; self.spf];
                if known {
                    clipped_all += S::reference_mix(&mut out, &talkers);
                }
                results.push((known, out));
            }
            let tap = &mut self.taps[k];
            for (c, (known, out)) in results.into_iter().enumerate() {
                tap.exact[c] = known;
                if known {
                    tap.channels[c] = out;
                }
            }
            if tap.exact.iter().all(|&e| e) {
                tap.clipped += clipped_all as u64;
            }
        }
        self.tap_current.extend(next);
    }
}

impl<S: RefSample> Harness<S> {
    /// A tap's control call: as [`Harness::control`], but not for the
    /// untapped twin.
    fn tap_control<T: std::fmt::Debug>(
        &mut self,
        what: &str,
        call: impl Fn(&mut Session<S>) -> Result<T, Error>,
        model: impl FnOnce(&mut Model<S>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let want = model(&mut self.model);
        let before = want.is_err().then(|| self.s.copy());
        let got = call(self.s.get_mut());
        assert!(same(&got, &want), "{what}: got {got:?}, expected {want:?}");
        if let Some(before) = before {
            self.s.failed(before, what, &got);
        }
        for shadow in self.followers(true) {
            let r = call(shadow);
            assert!(same(&r, &got), "{what}: shadow got {r:?}, session {got:?}");
        }
        got
    }

    /// The tap id that the snapshot hands out as its `n`th.
    fn snapshot_tap(&mut self, n: usize) -> TapId {
        while self.model.snapshot_taps.len() <= n {
            let id = self.snapshot.add_tap(Tap::stereo()).unwrap();
            self.snapshot.remove_tap(id).unwrap();
            self.model.snapshot_taps.push(id);
        }
        self.model.snapshot_taps[n]
    }

    pub(super) fn which_tap(&mut self, w: TapWho) -> TapId {
        let n = self.model.taps_added;
        match w.0 {
            0..TapWho::UNKNOWN if n > 0 => self.snapshot_tap(w.0 as usize % n),
            0..TapWho::FOREIGN => self.snapshot_tap(n + w.0 as usize % 4),
            TapWho::FOREIGN..TapWho::STRAY if n > 0 => self.other_taps[w.0 as usize % n],
            _ => any_tap(w.0 as usize),
        }
    }

    /// `add_tap` of the tap `a` describes, built with the `Tap` builder.
    pub(super) fn add_tap(&mut self, a: TapArg) {
        let call = self.model.format.rate().hz();
        let hz = match a.rate % 7 {
            5 => None,
            6 => Some(11025),
            r => Some(RATES[r as usize]),
        };
        let mut config = if a.stems { Tap::stems() } else { Tap::stereo() }
            .with_whispers(a.whispers)
            .with_supervisors(a.supervisors);
        if a.swapped {
            config = config.swapped();
        }
        if let Some(hz) = hz {
            match config.at_rate(hz) {
                Ok(c) => config = c,
                Err(e) => {
                    assert_eq!(
                        e,
                        Error::UnsupportedSampleRate { given: hz },
                        "at_rate({hz})"
                    );
                    assert!(!RATES.contains(&hz), "at_rate({hz}) refused");
                    return;
                }
            }
        }
        // The builder's view of what it was told.
        assert_eq!(
            config.layout(),
            if a.stems {
                TapLayout::Stems
            } else {
                TapLayout::Stereo
            }
        );
        assert_eq!(config.records_supervisors(), a.supervisors);
        assert_eq!(config.records_whispers(), a.supervisors && a.whispers);
        let left = match (a.stems, a.swapped) {
            (true, _) => None,
            (false, false) => Some(TapChannel::Customer),
            (false, true) => Some(TapChannel::Agent),
        };
        assert_eq!(config.left(), left, "left channel of {a:?}");
        assert_eq!(config.rate().map(|r| r.hz()), hz);
        let next = self.snapshot_tap(self.model.taps_added);
        let rate = hz.unwrap_or(call);
        // The untapped twin parts from the twin here.
        if self.untapped.is_none() {
            self.untapped = Some(self.twin.clone());
        }
        let got = self.tap_control(
            "add_tap",
            |s| s.add_tap(config),
            |m| m.add_tap(config, a, rate, next),
        );
        if let Ok(id) = got {
            assert_eq!(
                id.get() as usize,
                self.model.taps_added - 1,
                "tap ids count adds"
            );
            let mirror = self.other.add_tap(config).unwrap();
            assert_eq!(mirror.get(), id.get(), "tap ids count adds");
            assert_ne!(mirror, id, "tap ids of two sessions");
            self.other_taps.push(mirror);
        }
    }

    /// Every query of a tap, each as the model answers it (error for
    /// error); they take `&self`, so a failing one changes nothing.
    pub(super) fn tap_query(&self, id: TapId, party: PartyId) {
        let m = &self.model;
        let k = m.tap_index(id);
        let frame = k.clone().map(|k| m.taps[k].frame());
        match (self.s.tap_frame(id), &frame) {
            (Ok(got), Ok(want)) => assert!(same_frame(got, want), "tap_frame({id}) between ticks"),
            (got, want) => assert_eq!(got.err(), want.as_ref().err().cloned(), "tap_frame({id})"),
        }
        for ch in [TapChannel::Customer, TapChannel::Agent] {
            match (self.s.tap_channel(id, ch), m.tap_channel(id, ch)) {
                (Ok(got), Ok(want)) => {
                    assert!(
                        same_frame(got, want),
                        "tap_channel({id}, {ch:?}) between ticks"
                    )
                }
                (got, want) => assert_eq!(got.err(), want.err(), "tap_channel({id}, {ch:?})"),
            }
        }
        match (self.s.tap_stem(id, party), m.tap_stem(id, party)) {
            (Ok(got), Ok(want)) => {
                assert!(
                    same_frame(got, want),
                    "tap_stem({id}, {party}) between ticks"
                )
            }
            (got, want) => assert_eq!(got.err(), want.err(), "tap_stem({id}, {party})"),
        }
        let format = k.clone().map(|k| m.taps[k].format);
        assert_eq!(self.s.tap_format(id), format, "tap_format({id})");
        match (self.s.tap(id), &k) {
            (Ok(info), Ok(k)) => {
                let t = &m.taps[*k];
                assert_eq!(
                    (info.id, info.config, info.format, info.samples_clipped),
                    (t.id, t.config, t.format, t.clipped),
                    "tap({id})"
                );
            }
            (got, want) => assert_eq!(got.err(), want.clone().err(), "tap({id})"),
        }
        self.check_taps_listed();
    }

    /// `taps()`: every tap on the call, in order of adding, as added.
    fn check_taps_listed(&self) {
        let listed: Vec<_> = self
            .s
            .taps()
            .map(|t| (t.id, t.config, t.format, t.samples_clipped))
            .collect();
        let modelled: Vec<_> = self
            .model
            .taps
            .iter()
            .map(|t| (t.id, t.config, t.format, t.clipped))
            .collect();
        assert_eq!(listed, modelled, "taps()");
    }

    /// After a tick: every tap's frame, channels and stems at their
    /// lengths, valid, as the reference mixes them where it can, as in the
    /// twin, and, on every channel that records none of what a shadow hid
    /// this tick, as in that shadow.
    pub(super) fn check_taps(&mut self, tick: u64, shadows: &Hidden) {
        let hidden = &shadows.talkers;
        self.check_taps_listed_but_clipped();
        let m = &self.model;
        let n = m.parties.len();
        let mut observed = Vec::new();
        for (k, t) in m.taps.iter().enumerate() {
            let id = t.id;
            let spf = m.tap_spf(t.format);
            let rows = if t.arg.stems { n } else { 2 };
            assert_eq!(t.channels.len(), rows);
            assert_eq!(self.s.tap_format(id), Ok(t.format), "tap_format({id})");
            let frame = self.s.tap_frame(id).unwrap();
            assert_eq!(
                frame.len(),
                rows * spf,
                "tick {tick}: tap_frame({id}) of {:?} with {n} parties",
                t.arg
            );
            for x in frame {
                assert!(x.valid_output(), "tick {tick}: {id} records invalid {x:?}");
            }
            let twin = self.twin.tap_frame(id).unwrap();
            assert!(
                same_frame(frame, twin),
                "tick {tick}: {id} records otherwise than in the twin"
            );
            let channels: Vec<&[S]> = if t.arg.stems {
                assert_eq!(
                    self.s.tap_channel(id, TapChannel::Customer),
                    Err(Error::NotStereo { tap: id })
                );
                m.parties
                    .iter()
                    .map(|p| self.s.tap_stem(id, p.id).unwrap())
                    .collect()
            } else {
                if let Some(p) = m.parties.first() {
                    assert_eq!(self.s.tap_stem(id, p.id), Err(Error::NotStems { tap: id }));
                }
                [TapChannel::Customer, TapChannel::Agent]
                    .map(|c| self.s.tap_channel(id, c).unwrap())
                    .to_vec()
            };
            let mut rebuilt = RefTap {
                channels: channels.iter().map(|c| c.to_vec()).collect(),
                ..t.clone()
            };
            for (c, ch) in channels.iter().enumerate() {
                assert_eq!(ch.len(), spf, "tick {tick}: channel {c} of {id}");
                if t.exact[c] {
                    for (i, (x, y)) in ch.iter().zip(&t.channels[c]).enumerate() {
                        assert!(
                            x.same(*y),
                            "tick {tick}: channel {c} of {id} ({:?}) holds {x:?} at sample {i}, \
                             reference {y:?}",
                            t.arg
                        );
                    }
                }
                for (j, shadow) in self.shadows() {
                    if !shadows.taps[j].contains(&(id, c)) {
                        continue;
                    }
                    let theirs = if t.arg.stems {
                        shadow.tap_stem(id, m.parties[c].id)
                    } else {
                        shadow.tap_channel(id, [TapChannel::Customer, TapChannel::Agent][c])
                    };
                    assert!(
                        same_frame(ch, theirs.unwrap()),
                        "tick {tick}: channel {c} of {id} ({:?}) recorded {} (of {:?}), which \
                         it does not record",
                        t.arg,
                        SHADOWS[j],
                        hidden[j]
                            .iter()
                            .map(|&h| (m.parties[h].id, m.parties[h].role))
                            .collect::<Vec<_>>()
                    );
                }
            }
            // The frame is the channels, interleaved or one after the other.
            let whole = rebuilt.frame();
            assert!(
                same_frame(frame, &whole),
                "tick {tick}: tap_frame({id}) is not its channels laid out as {:?}",
                t.arg
            );
            let info = self.s.tap(id).unwrap();
            assert_eq!(
                info.samples_clipped,
                self.twin.tap(id).unwrap().samples_clipped,
                "tick {tick}: clipped samples of {id} in the twin"
            );
            if t.exact.iter().all(|&e| e) {
                assert_eq!(
                    info.samples_clipped, t.clipped,
                    "tick {tick}: clipped by {id}"
                );
            } else {
                // At most every sample of the mix, and of the conversion.
                let most = (rows * (m.spf + spf)) as u64;
                let new = info.samples_clipped.checked_sub(t.clipped);
                assert!(
                    new.is_some_and(|x| x <= most),
                    "tick {tick}: {id} clipped {} after {}",
                    info.samples_clipped,
                    t.clipped
                );
                rebuilt.clipped = info.samples_clipped;
            }
            observed.push((k, rebuilt));
        }
        for (k, t) in observed {
            self.model.taps[k] = t;
        }
        self.check_taps_listed();
    }

    /// `taps()` before the tick's counts are taken from the session.
    fn check_taps_listed_but_clipped(&self) {
        let listed: Vec<_> = self.s.taps().map(|t| (t.id, t.config, t.format)).collect();
        let modelled: Vec<_> = self
            .model
            .taps
            .iter()
            .map(|t| (t.id, t.config, t.format))
            .collect();
        assert_eq!(listed, modelled, "taps()");
    }
}

impl<S: RefSample> Harness<S> {
    /// [`Op::RemoveTap`], mirrored on the other session.
    pub(super) fn remove_tap(&mut self, w: TapWho) {
        let id = self.which_tap(w);
        if self
            .tap_control("remove_tap", |s| s.remove_tap(id), |m| m.remove_tap(id))
            .is_ok()
        {
            let mirror = self.other_taps[id.get() as usize];
            self.other.remove_tap(mirror).unwrap();
        }
    }
}
