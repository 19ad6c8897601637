//! Call signals: who is talking, for how long, dead air, overtalk,
//! monologues and the agent's reply latency, from each party's own audio,
//! every tick; and alerts when a host-set threshold is crossed.
//!
//! The signals are off until [`Session::enable_signals`]. They read the
//! frames the customer and the agent handed in (before mixing, at the
//! call's rate), through a [`VoiceDetector`] each, and change no output:
//! what a supervisor says, whispered or not, is never counted, and no
//! route or plan depends on them.
//!
//! Time is counted in blocks of 10 ms of the call's audio (a tick of 20 ms
//! is two), so every figure is a multiple of 10 ms.

use core::time::Duration;

use alloc::boxed::Box;

use super::Session;
use crate::dsp::kernel::Sample;
use crate::dsp::vad::VoiceDetector;
use crate::error::Error;
use crate::format::SampleRate;
use crate::id::PartyId;
use crate::route::Role;

/// Alerts kept for the host at most; more are counted in
/// [`CallSignals::alerts_dropped`].
pub const ALERT_LIMIT: usize = 16;

/// Interruptions a minute that an alert can wait for at most.
const MAX_INTERRUPTIONS: u32 = 16;

const BLOCK: u64 = 10;

/// What the call signals count and when they alert: given to
/// [`Session::enable_signals`].
///
/// ```
/// use std::time::Duration;
/// use barge::SignalConfig;
/// let config = SignalConfig::new()
///     .alert_dead_air(Duration::from_secs(5))
///     .alert_monologue(Duration::from_secs(45))
///     .alert_interruptions(3);
/// assert_eq!(config.backchannel(), Duration::from_millis(1000));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignalConfig {
    backchannel: Duration,
    turn_pause: Duration,
    dead_air: Option<Duration>,
    monologue: Option<Duration>,
    interruptions: Option<u32>,
}

impl Default for SignalConfig {
    fn default() -> SignalConfig {
        SignalConfig::new()
    }
}

impl SignalConfig {
    /// Backchannels under 1 s, turns bridged over pauses under 700 ms, no
    /// alerts.
    pub const fn new() -> SignalConfig {
        SignalConfig {
            backchannel: Duration::from_millis(1000),
            turn_pause: Duration::from_millis(700),
            dead_air: None,
            monologue: None,
            interruptions: None,
        }
    }

    /// A turn begun while the other party talks and shorter than this
    /// ("mm-hm", "right") is a backchannel, not an interruption (100 ms to
    /// 5 s; default 1 s).
    pub const fn with_backchannel(mut self, max: Duration) -> SignalConfig {
        self.backchannel = max;
        self
    }

    /// A pause in a party's voice shorter than this does not end its turn
    /// (100 ms to 5 s; default 700 ms).
    pub const fn with_turn_pause(mut self, pause: Duration) -> SignalConfig {
        self.turn_pause = pause;
        self
    }

    /// Alert [`Alert::DeadAir`] once dead air lasts this long (1 s to
    /// 1 h).
    pub const fn alert_dead_air(mut self, after: Duration) -> SignalConfig {
        self.dead_air = Some(after);
        self
    }

    /// Alert [`Alert::Monologue`] once a party's turn lasts this long (1 s
    /// to 1 h).
    pub const fn alert_monologue(mut self, after: Duration) -> SignalConfig {
        self.monologue = Some(after);
        self
    }

    /// Alert [`Alert::Interruptions`] once a party has interrupted the
    /// other this many times in the last minute (1 to 16).
    pub const fn alert_interruptions(mut self, per_minute: u32) -> SignalConfig {
        self.interruptions = Some(per_minute);
        self
    }

    /// The longest backchannel.
    pub const fn backchannel(&self) -> Duration {
        self.backchannel
    }

    /// The longest pause inside a turn.
    pub const fn turn_pause(&self) -> Duration {
        self.turn_pause
    }

    /// Each setting in its range, or the error that says which is not.
    fn check(&self) -> Result<(), Error> {
        let ms = |setting, d: Duration, min, max| {
            let given = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
            if (min..=max).contains(&given) {
                Ok(())
            } else {
                Err(Error::SignalSetting {
                    setting,
                    given,
                    min,
                    max,
                    unit: "ms",
                })
            }
        };
        ms("with_backchannel", self.backchannel, 100, 5_000)?;
        ms("with_turn_pause", self.turn_pause, 100, 5_000)?;
        if let Some(d) = self.dead_air {
            ms("alert_dead_air", d, 1_000, 3_600_000)?;
        }
        if let Some(d) = self.monologue {
            ms("alert_monologue", d, 1_000, 3_600_000)?;
        }
        match self.interruptions {
            Some(n) if !(1..=MAX_INTERRUPTIONS).contains(&n) => Err(Error::SignalSetting {
                setting: "alert_interruptions",
                given: u64::from(n),
                min: 1,
                max: u64::from(MAX_INTERRUPTIONS),
                unit: "a minute",
            }),
            _ => Ok(()),
        }
    }
}

/// A threshold of [`SignalConfig`] crossed, as [`Session::poll_alert`]
/// gives it. `tick` is the tick whose audio crossed it
/// ([`Session::tick`] during that tick).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Alert {
    /// Neither the customer nor the agent has talked for `ms`
    /// milliseconds (once per stretch of dead air).
    DeadAir {
        /// The tick.
        tick: u64,
        /// How long the dead air has lasted.
        ms: u64,
    },
    /// A turn of the customer or the agent has lasted `ms` milliseconds
    /// (once per turn).
    Monologue {
        /// The tick.
        tick: u64,
        /// Whose turn.
        role: Role,
        /// How long it has lasted.
        ms: u64,
    },
    /// The party has interrupted the other `count` times in the last
    /// minute (once until the count falls below the threshold again).
    Interruptions {
        /// The tick.
        tick: u64,
        /// Who interrupted.
        role: Role,
        /// Interruptions in the last minute.
        count: u32,
    },
}

/// The signals of one party (the customer or the agent), in milliseconds
/// and in decibels over the party's own noise floor.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TalkSignals {
    /// Whether it is on the call (the signals follow the first customer and
    /// the first agent to join).
    pub present: bool,
    /// Whether its voice is heard now (in the last block of 10 ms).
    pub talking: bool,
    /// Time its voice was heard.
    pub talk_ms: u64,
    /// Whether it is in a turn: talking, or paused for less than the
    /// [turn pause](SignalConfig::with_turn_pause).
    pub in_turn: bool,
    /// How long its current turn has lasted, from its first block of voice
    /// to its last so far; 0 out of a turn.
    pub turn_ms: u64,
    /// Turns begun (backchannels included).
    pub turns: u32,
    /// Its longest turn so far (the current one included): a monologue.
    pub longest_turn_ms: u64,
    /// Turns it began while the other talked that lasted at least the
    /// [backchannel](SignalConfig::with_backchannel) length: the times it
    /// interrupted the other.
    pub interruptions: u32,
    /// Turns it began while the other talked that ended sooner: "mm-hm".
    pub backchannels: u32,
    /// Its voice's level over its noise floor, in dB (0 before it talks).
    pub level_db: f32,
    /// Its noise floor, in dBFS.
    pub floor_dbfs: f32,
    /// Samples it handed in at full scale: a clipping microphone or gain.
    pub clipped_samples: u64,
    /// Whether the noise behind its voice is busy, as other voices in the
    /// room are ([`VoiceDetector::busy`](crate::vad::VoiceDetector::busy)):
    /// its talk, turns and interruptions are then approximate (talk
    /// over-counted by 35 to 60 % at 20 and 10 dB SNR on the test sets of
    /// `tests/vad/`).
    pub busy_noise: bool,
}

/// The signals of a call, updated every tick: see [`Session::signals`].
///
/// Definitions, all from the customer's and the agent's own audio:
/// - **talk**: 10 ms blocks in which a party's voice is heard;
/// - **turn**: a party's talk with pauses shorter than the turn pause
///   bridged; its length runs from its first voice to its last;
/// - **dead air**: neither the customer nor the agent talks (both must be
///   on the call);
/// - **overtalk**: both talk in the same block; it was started by the one
///   whose turn began later;
/// - **interruption**: a turn begun while the other party talks, lasting
///   at least the backchannel length; a shorter one is a **backchannel**;
/// - **monologue**: a turn; the longest one is kept;
/// - **reply latency**: from the customer's last voice to the agent's
///   first, when the agent begins a turn after the customer (and not over
///   the customer).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CallSignals {
    /// The customer's signals.
    pub customer: TalkSignals,
    /// The agent's signals.
    pub agent: TalkSignals,
    /// Audio observed since the signals were enabled.
    pub elapsed_ms: u64,
    /// How long the current dead air has lasted; 0 while someone talks.
    pub dead_air_ms: u64,
    /// All dead air so far.
    pub dead_air_total_ms: u64,
    /// The longest stretch of dead air so far.
    pub longest_dead_air_ms: u64,
    /// Who started the overtalk going on now, if any.
    pub overtalk: Option<Role>,
    /// All overtalk so far.
    pub overtalk_ms: u64,
    /// The agent's last reply latency, if it has replied yet.
    pub reply_latency_ms: Option<u64>,
    /// The sum and count of the agent's reply latencies, for their mean.
    pub reply_latency_total_ms: u64,
    /// Replies counted in `reply_latency_total_ms`.
    pub replies: u32,
    /// Alerts dropped because [`ALERT_LIMIT`] were waiting.
    pub alerts_dropped: u64,
}

impl CallSignals {
    /// The agent's share of the talk, from 0 to 1: the agent's talk over
    /// the customer's and the agent's; `None` before either talks.
    ///
    /// ```
    /// let mut s = barge::CallSignals::default();
    /// assert_eq!(s.agent_talk_ratio(), None);
    /// s.agent.talk_ms = 3000;
    /// s.customer.talk_ms = 1000;
    /// assert_eq!(s.agent_talk_ratio(), Some(0.75));
    /// ```
    pub fn agent_talk_ratio(&self) -> Option<f32> {
        let total = self.agent.talk_ms + self.customer.talk_ms;
        (total > 0).then(|| self.agent.talk_ms as f32 / total as f32)
    }

    /// The longest turn of either party, and whose.
    pub fn longest_monologue(&self) -> Option<(Role, u64)> {
        let (c, a) = (self.customer.longest_turn_ms, self.agent.longest_turn_ms);
        match (c, a) {
            (0, 0) => None,
            _ if a >= c => Some((Role::Agent, a)),
            _ => Some((Role::Customer, c)),
        }
    }

    /// The agent's mean reply latency.
    pub fn mean_reply_latency_ms(&self) -> Option<u64> {
        (self.replies > 0).then(|| self.reply_latency_total_ms / u64::from(self.replies))
    }
}

/// What the signals follow of one party.
#[derive(Debug, Clone, PartialEq)]
struct Track {
    id: Option<PartyId>,
    vad: VoiceDetector,
    /// The end of its last block of voice, and the start of its turn (ms).
    last_voice: Option<u64>,
    turn_start: u64,
    /// Whether the turn began over the other's voice, and whether it
    /// counted as an interruption yet; whether it alerted as a monologue.
    over_other: bool,
    counted: bool,
    alerted: bool,
    /// The times (ms) of its last interruptions, a ring, and whether the
    /// count in the last minute alerted.
    recent: [u64; MAX_INTERRUPTIONS as usize],
    next: usize,
    flagged: bool,
}

impl Track {
    fn new(rate: SampleRate) -> Track {
        Track {
            id: None,
            vad: VoiceDetector::new(rate),
            last_voice: None,
            turn_start: 0,
            over_other: false,
            counted: false,
            alerted: false,
            recent: [u64::MAX; MAX_INTERRUPTIONS as usize],
            next: 0,
            flagged: false,
        }
    }
}

/// The signals' state: see [`Session::enable_signals`].
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Signals {
    config: SignalConfig,
    rate: SampleRate,
    /// The customer's and the agent's tracks.
    tracks: [Track; 2],
    now: CallSignals,
    /// Whether the current dead air alerted.
    dead_alerted: bool,
    alerts: [Option<Alert>; ALERT_LIMIT],
    /// The oldest alert waiting, and how many wait.
    head: usize,
    waiting: usize,
}

const ROLES: [Role; 2] = [Role::Customer, Role::Agent];

/// A party in a role the signals follow, and its frame of the tick (`None`
/// when it handed in none).
pub(super) type Seen<'f, S> = (PartyId, Option<&'f [S]>);

impl Signals {
    fn new(config: SignalConfig, rate: SampleRate) -> Signals {
        Signals {
            config,
            rate,
            tracks: [Track::new(rate), Track::new(rate)],
            now: CallSignals::default(),
            dead_alerted: false,
            alerts: [None; ALERT_LIMIT],
            head: 0,
            waiting: 0,
        }
    }

    fn alert(&mut self, alert: Alert) {
        if self.waiting == ALERT_LIMIT {
            self.now.alerts_dropped += 1;
            return;
        }
        self.alerts[(self.head + self.waiting) % ALERT_LIMIT] = Some(alert);
        self.waiting += 1;
    }

    fn poll(&mut self) -> Option<Alert> {
        if self.waiting == 0 {
            return None;
        }
        let alert = self.alerts[self.head].take();
        self.head = (self.head + 1) % ALERT_LIMIT;
        self.waiting -= 1;
        alert
    }

    /// One tick: the customer's and the agent's frames (`None` for one
    /// that handed in none), each with its party's id, or `None` for a role
    /// nobody holds.
    pub(super) fn observe<S: Sample>(
        &mut self,
        tick: u64,
        blocks: usize,
        parties: [Option<Seen<'_, S>>; 2],
    ) {
        let mut voice = [0u8; 2];
        for (k, (track, party)) in self.tracks.iter_mut().zip(parties).enumerate() {
            let sig = if k == 0 {
                &mut self.now.customer
            } else {
                &mut self.now.agent
            };
            let Some((id, frame)) = party else {
                if track.id.take().is_some() {
                    *track = Track::new(self.rate);
                    sig.present = false;
                    sig.talking = false;
                    sig.in_turn = false;
                    sig.turn_ms = 0;
                }
                continue;
            };
            if track.id != Some(id) {
                // Another party in the role: its own detector.
                *track = Track::new(self.rate);
                track.id = Some(id);
                *sig = TalkSignals {
                    present: true,
                    ..TalkSignals::default()
                };
            }
            let mut bits = 0u8;
            let mut at = 0;
            match frame {
                Some(frame) => track.vad.push(frame, |v| {
                    bits |= u8::from(v) << at.min(7);
                    at += 1;
                }),
                None => track.vad.missing(),
            }
            voice[k] = bits;
            sig.level_db = track.vad.level_db();
            sig.floor_dbfs = track.vad.floor_dbfs();
            sig.clipped_samples = track.vad.clipped();
            sig.busy_noise = track.vad.busy();
        }
        for b in 0..blocks.min(8) {
            let v = [voice[0] >> b & 1 != 0, voice[1] >> b & 1 != 0];
            self.step(tick, v);
        }
    }

    /// One block of 10 ms, in which each party's voice is `voice`.
    fn step(&mut self, tick: u64, voice: [bool; 2]) {
        self.now.elapsed_ms += BLOCK;
        let t = self.now.elapsed_ms;
        let (pause, backchannel) = (
            self.config.turn_pause.as_millis() as u64,
            self.config.backchannel.as_millis() as u64,
        );
        let present = [self.tracks[0].id.is_some(), self.tracks[1].id.is_some()];
        for k in 0..2 {
            if !present[k] {
                continue;
            }
            let other = 1 - k;
            // The other talks: in a turn, its voice heard this block or the
            // last.
            let other_talks = present[other]
                && self.tracks[other]
                    .last_voice
                    .is_some_and(|l| l + BLOCK >= t - BLOCK);
            let other_last = self.tracks[other].last_voice;
            let track = &mut self.tracks[k];
            let mut alerts: [Option<Alert>; 2] = [None; 2];
            let sig = if k == 0 {
                &mut self.now.customer
            } else {
                &mut self.now.agent
            };
            sig.talking = voice[k];
            if voice[k] {
                sig.talk_ms += BLOCK;
                if !sig.in_turn {
                    sig.in_turn = true;
                    sig.turns += 1;
                    track.turn_start = t - BLOCK;
                    track.over_other = other_talks;
                    track.counted = false;
                    track.alerted = false;
                    // The agent replies: a turn begun after the customer's
                    // last voice, which came after the agent's own.
                    if k == 1 && !other_talks {
                        if let Some(end) = other_last {
                            if track.last_voice.map_or(true, |own| own < end) {
                                let latency = t - BLOCK - end;
                                self.now.reply_latency_ms = Some(latency);
                                self.now.reply_latency_total_ms += latency;
                                self.now.replies += 1;
                            }
                        }
                    }
                }
                track.last_voice = Some(t);
            } else if sig.in_turn && track.last_voice.is_some_and(|l| t - l >= pause) {
                // The turn ended at its last voice.
                sig.in_turn = false;
                sig.turn_ms = 0;
                if track.over_other && !track.counted {
                    sig.backchannels += 1;
                }
            }
            if sig.in_turn {
                let len = track.last_voice.unwrap_or(t) - track.turn_start;
                sig.turn_ms = len;
                sig.longest_turn_ms = sig.longest_turn_ms.max(len);
                if track.over_other && !track.counted && len >= backchannel {
                    track.counted = true;
                    sig.interruptions += 1;
                    track.recent[track.next] = t;
                    track.next = (track.next + 1) % track.recent.len();
                }
                if let Some(after) = self.config.monologue {
                    if !track.alerted && len >= after.as_millis() as u64 {
                        track.alerted = true;
                        alerts[0] = Some(Alert::Monologue {
                            tick,
                            role: ROLES[k],
                            ms: len,
                        });
                    }
                }
            }
            if let Some(n) = self.config.interruptions {
                let minute = track
                    .recent
                    .iter()
                    .filter(|&&r| r != u64::MAX && r + 60_000 > t)
                    .count() as u32;
                if minute >= n && !track.flagged {
                    track.flagged = true;
                    alerts[1] = Some(Alert::Interruptions {
                        tick,
                        role: ROLES[k],
                        count: minute,
                    });
                } else if minute < n {
                    track.flagged = false;
                }
            }
            for a in alerts.into_iter().flatten() {
                self.alert(a);
            }
        }
        // Dead air and overtalk, between the two.
        if present[0] && present[1] {
            if voice[0] || voice[1] {
                self.now.dead_air_ms = 0;
                self.dead_alerted = false;
            } else {
                self.now.dead_air_ms += BLOCK;
                self.now.dead_air_total_ms += BLOCK;
                let d = self.now.dead_air_ms;
                self.now.longest_dead_air_ms = self.now.longest_dead_air_ms.max(d);
                if let Some(after) = self.config.dead_air {
                    if !self.dead_alerted && d >= after.as_millis() as u64 {
                        self.dead_alerted = true;
                        self.alert(Alert::DeadAir { tick, ms: d });
                    }
                }
            }
            if voice[0] && voice[1] {
                self.now.overtalk_ms += BLOCK;
                let (c, a) = (self.tracks[0].turn_start, self.tracks[1].turn_start);
                self.now.overtalk = Some(if a > c { Role::Agent } else { Role::Customer });
            } else {
                self.now.overtalk = None;
            }
        } else {
            self.now.dead_air_ms = 0;
            self.now.overtalk = None;
        }
    }
}

/// # Call signals
///
/// Who is talking, talk time and ratio, dead air, overtalk, monologues and
/// reply latency, from the customer's and the agent's own audio: off until
/// enabled, and then updated every tick. They change nothing anyone hears.
impl<S: Sample> Session<S> {
    /// Turns the call signals on with `config`, or, when they are on,
    /// changes their settings and keeps what they measured. A setting out
    /// of its range is [`Error::SignalSetting`], and nothing changes.
    ///
    /// Enabling allocates once; each tick after it allocates nothing.
    ///
    /// ```
    /// use std::time::Duration;
    /// use barge::{Format, Role, Session, SignalConfig};
    /// let mut call = Session::<i16>::new(Format::new(8000, 20)?);
    /// let customer = call.join(Role::Customer)?;
    /// let agent = call.join(Role::Agent)?;
    /// call.enable_signals(SignalConfig::new().alert_dead_air(Duration::from_secs(3)))?;
    /// for _ in 0..200 {
    ///     // Four seconds in which both hand in silence.
    ///     call.put_frame(customer, &[0; 160])?;
    ///     call.put_frame(agent, &[0; 160])?;
    ///     call.mix();
    /// }
    /// let signals = call.signals().expect("enabled");
    /// assert_eq!(signals.dead_air_ms, 4000);
    /// assert!(matches!(
    ///     call.poll_alert(),
    ///     Some(barge::Alert::DeadAir { ms: 3000, tick: 149 })
    /// ));
    /// # Ok::<(), barge::Error>(())
    /// ```
    pub fn enable_signals(&mut self, config: SignalConfig) -> Result<(), Error> {
        config.check()?;
        match self.signals.as_deref_mut() {
            Some(signals) => signals.config = config,
            None => {
                self.signals = Some(Box::new(Signals::new(config, self.format.rate())));
                self.observe_parties(true);
            }
        }
        Ok(())
    }

    /// Marks every party as looked at by the call's signals, or none.
    fn observe_parties(&mut self, observed: bool) {
        for p in self.parties.iter_mut() {
            p.observed = observed;
            p.update_plain();
        }
    }

    /// Turns the call signals off and forgets them and their alerts.
    pub fn disable_signals(&mut self) {
        self.signals = None;
        self.observe_parties(false);
    }

    /// The call signals as of the last tick, or `None` while they are off.
    pub fn signals(&self) -> Option<&CallSignals> {
        self.signals.as_deref().map(|s| &s.now)
    }

    /// The oldest alert not yet taken, if any; at most [`ALERT_LIMIT`]
    /// wait (more are counted in [`CallSignals::alerts_dropped`]). Drain it
    /// after each tick, as [`Session::poll_event`].
    #[must_use]
    pub fn poll_alert(&mut self) -> Option<Alert> {
        self.signals.as_deref_mut().and_then(Signals::poll)
    }
}
