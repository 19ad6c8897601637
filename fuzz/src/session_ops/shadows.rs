//! The privacy checks: shadow sessions in which some talkers send no frame
//! or another one, and the listeners the mode table keeps from all of those
//! talkers, who must hear the same there, bit for bit.

use barge::Session;

use super::runner::{same_frame, Harness};
use super::tick::hand_over;
use crate::reference::{table_allows, RefRole, RefSample};

/// The shadows, by what they hide each tick (see the module docs).
const ONE_TALKER: usize = 0;

const KEPT_FROM_ONE: usize = 1;

const KEPT_FROM_ALL: usize = 2;

const KEPT_FROM_CUSTOMERS: usize = 3;

pub(super) const SUPERVISORS: usize = 4;

pub(super) const SHADOWS: [&str; 5] = [
    "one talker in turn",
    "the talkers kept from one listener",
    "the talkers kept from everyone",
    "the talkers kept from a customer",
    "every supervisor",
];

/// What the shadows hide in one tick, worked out before it.
pub(super) struct Hidden {
    /// By shadow: the talkers it hides, by index into the parties.
    pub(super) talkers: [Vec<usize>; 5],
    /// By shadow: whether its hidden talkers hand in the probe (else no
    /// frame at all).
    probe: [bool; 5],
    /// By shadow: the listeners kept from every talker it hides (itself
    /// included), who must hear the same there as in the session.
    checked: [Vec<usize>; 5],
    /// A leg or a tap is at another rate than the call's: a resampler
    /// remembers what a shadow hid, so after the tick every shadow starts
    /// again from the twin.
    pub(super) restart: bool,
}

impl<S: RefSample> Harness<S> {
    /// What each shadow hides this tick (see [`SHADOWS`]), and who must
    /// hear the same there.
    pub(super) fn hide(&self) -> Hidden {
        let m = &self.model;
        let tick = m.tick;
        let n = m.parties.len();
        let everyone = 0..n;
        // A resampler remembers what a shadow hid: a leg's or a tap's; so
        // does a concealer, which conceals a loss from what it heard.
        let converted = (0..n).any(|i| m.converted(i) || m.parties[i].conceals)
            || m.taps.iter().any(|t| t.format.rate() != m.format.rate());
        // What each shadow hides this tick, by index into the parties.
        let mut hidden: [Vec<usize>; 5] = Default::default();
        let mut probe = [false; 5];
        if n > 0 {
            let x = tick as usize % n;
            hidden[ONE_TALKER] = vec![x];
            probe[ONE_TALKER] = tick % 2 == 1 || m.parties[x].frame.is_none();
            let l = (tick as usize / n + tick as usize * 2 + 1) % n;
            hidden[KEPT_FROM_ONE] = everyone.clone().filter(|&t| !m.allows(l, t)).collect();
        }
        hidden[KEPT_FROM_ALL] = everyone
            .clone()
            .filter(|&t| (0..n).all(|l| !m.allows(l, t)))
            .collect();
        probe[KEPT_FROM_ALL] = true;
        hidden[KEPT_FROM_CUSTOMERS] = everyone
            .clone()
            .filter(|&t| !table_allows(RefRole::Customer, m.parties[t].role))
            .collect();
        probe[KEPT_FROM_CUSTOMERS] = tick.is_multiple_of(3);
        hidden[SUPERVISORS] = everyone
            .clone()
            .filter(|&t| matches!(m.parties[t].role, RefRole::Supervisor(_)))
            .collect();
        probe[SUPERVISORS] = tick.is_multiple_of(2);
        // A tone is the same in every shadow (each plays its own), and so
        // must a detecting supervisor's audio be, lest its detector take
        // another turn there: neither is hidden.
        // Nor is the disclosure while the gate is pending: whether it
        // sounds decides when the gate lifts.
        let watched = m.watched();
        for h in hidden.iter_mut() {
            h.retain(|&t| {
                m.parties[t].tone.is_none() && m.parties[t].dtmf.is_none() && watched != Some(t)
            });
        }
        // Who must hear the same in each shadow: every listener kept from
        // all that it hides (itself included).
        let checked: [Vec<usize>; 5] = std::array::from_fn(|k| {
            everyone
                .clone()
                .filter(|&l| hidden[k].iter().all(|&t| !m.allows(l, t)))
                .collect()
        });
        Hidden {
            talkers: hidden,
            probe,
            checked,
            restart: converted,
        }
    }

    /// Hands each shadow this tick's frames, but the probe or no frame for
    /// the talkers it hides.
    /// Copies of the twin first, where they are the twin as it is.
    pub(super) fn feed_shadows(&mut self, hidden: &Hidden) {
        let twin = &self.twin;
        let shadows = self
            .shadows
            .get_or_insert_with(|| std::array::from_fn(|_| twin.clone()));
        let m = &self.model;
        let probe = &hidden.probe;
        let hidden = &hidden.talkers;
        // Each party's probe and silent frames, at its leg's length.
        let probes: Vec<Vec<S>> = m
            .parties
            .iter()
            .map(|p| (0..p.leg.samples_per_frame()).map(S::probe).collect())
            .collect();
        for (k, shadow) in shadows.iter_mut().enumerate() {
            for (t, p) in m.parties.iter().enumerate() {
                if !hidden[k].contains(&t) {
                    // What the session took, as it took it.
                    hand_over(shadow, p, false);
                } else if probe[k] && p.tone.is_none() {
                    // Every frame of its tick, the probe.
                    for _ in 0..p.per_tick {
                        shadow.put_frame(p.id, &probes[t]).unwrap();
                    }
                }
            }
        }
    }

    /// After the tick: the listener at `l`, hearing `out`, hears the same in
    /// every shadow that hid only talkers the table keeps from it.
    pub(super) fn check_shadows(&self, tick: u64, l: usize, out: &[S], hidden: &Hidden) {
        let m = &self.model;
        let p = &m.parties[l];
        let checked = &hidden.checked;
        let hidden = &hidden.talkers;
        for (k, shadow) in self.shadows().iter().enumerate() {
            if checked[k].contains(&l) {
                assert!(
                    same_frame(out, shadow.output(p.id).unwrap()),
                    "tick {tick}: {} ({:?}) heard {} (of {:?}), which the table keeps from it",
                    p.id,
                    p.role,
                    SHADOWS[k],
                    hidden[k]
                        .iter()
                        .map(|&t| m.parties[t].id)
                        .collect::<Vec<_>>()
                );
            }
        }
    }

    /// The shadows in a tick, made at its start.
    pub(super) fn shadows(&self) -> &[Session<S>; 5] {
        self.shadows.as_ref().expect("the shadows of the tick")
    }

    /// Every shadow the twin again, so that no resampler in it remembers
    /// what it hid: copies of it from the next tick.
    pub(super) fn restart_shadows(&mut self) {
        self.shadows = None;
    }
}
