//! The reference model's state: what the session must hold, kept
//! without asking the session.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use barge::{Consent, Cue, Event, Format, Gain, PartyId, TapId};

use super::consent::Disclosing;
use super::events::Trail;
use super::input::PolicyArg;
use super::party::RefParty;
use super::routes::samples_in;
use super::taps::{RefTap, TapKey};
use crate::reference::{RefMode, RefSample};

/// The reference model of a session: what every call must return, what
/// every tick must output.
#[derive(Debug, Clone)]
pub struct Model<S> {
    pub(super) format: Format,
    pub(super) spf: usize,
    pub(super) ramp: Duration,
    pub(super) ramp_samples: usize,
    pub(super) tick: u64,
    /// Every id handed out, in order; ids are never reused.
    pub(super) issued: Vec<PartyId>,
    /// Ids with this session's tag that a snapshot of it taken before any
    /// join hands out: the `n`th is this session's `n`th id once it is
    /// issued, and unknown to it until then.
    pub(super) snapshot_ids: Vec<PartyId>,
    pub(super) parties: Vec<RefParty<S>>,
    /// The host's route gains, by (listener, talker).
    pub(super) route_gains: BTreeMap<(PartyId, PartyId), Gain>,
    /// Linear gain each route reached at the end of the last tick.
    pub(super) current: BTreeMap<(PartyId, PartyId), f32>,
    pub(super) trail: Trail,
    /// The taps on the call, in order of adding.
    pub(super) taps: Vec<RefTap<S>>,
    /// How many taps the session has added.
    pub(super) taps_added: usize,
    /// Tap ids with this session's tag that a snapshot of it taken before
    /// any `add_tap` hands out: the `n`th is this session's `n`th.
    pub(super) snapshot_taps: Vec<TapId>,
    /// Linear gain each tap channel's route from a talker reached at the
    /// end of the last tick, by (tap, stem owner or none, stereo channel,
    /// talker).
    pub(super) tap_current: BTreeMap<(TapKey, PartyId), f32>,
    /// Events the last tick recorded, in order, for the harness to put on
    /// the trail (whose room it learns from the session).
    pub(super) tick_events: Vec<Event>,
    pub(super) consent: Consent,
    pub(super) disclosure: Option<PartyId>,
    /// How the disclosure has played since it last began anew.
    pub(super) disclosing: Disclosing,
    pub(super) cues: [Option<Cue>; 4],
    pub(super) cue_player: Option<PartyId>,
    pub(super) dtmf_map: [Option<RefMode>; 16],
    pub(super) policy: Option<PolicyArg>,
}

impl<S: RefSample> Model<S> {
    /// A model of `Session::new(format)`.
    pub fn new(format: Format) -> Model<S> {
        let frame = format.ptime().duration();
        let ramp = Duration::from_millis(5).min(frame);
        Model {
            format,
            spf: (format.rate().hz() / 1000 * format.ptime().ms()) as usize,
            ramp,
            ramp_samples: samples_in(ramp, format.rate().hz()),
            tick: 0,
            issued: Vec::new(),
            snapshot_ids: Vec::new(),
            parties: Vec::new(),
            route_gains: BTreeMap::new(),
            current: BTreeMap::new(),
            trail: Trail {
                cap: 0,
                limit: 1024,
                kept: VecDeque::new(),
                lost: None,
            },
            taps: Vec::new(),
            taps_added: 0,
            snapshot_taps: Vec::new(),
            tap_current: BTreeMap::new(),
            tick_events: Vec::new(),
            consent: Consent::NotRequired,
            disclosure: None,
            disclosing: Disclosing::NOT_YET,
            cues: [None; 4],
            cue_player: None,
            dtmf_map: [None; 16],
            policy: None,
        }
    }
}
