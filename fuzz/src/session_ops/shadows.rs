//! The privacy checks: shadow sessions in which some talkers send no frame
//! or another one, and the listeners the mode table keeps from all of those
//! talkers, who must hear the same there, bit for bit.

use barge::{Session, TapId};

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
    /// By shadow: the tap channels (tap, channel) that record none of the
    /// talkers it hides, which must record the same there.
    pub(super) taps: [Vec<(TapId, usize)>; 5],
}

/// A shadow session of one tick.
pub(super) struct Shadow<S: RefSample> {
    pub(super) session: Session<S>,
}

impl Hidden {
    /// Whether shadow `k` checks anything this tick.
    fn useful(&self, k: usize) -> bool {
        !self.talkers[k].is_empty() && (!self.checked[k].is_empty() || !self.taps[k].is_empty())
    }
}

impl<S: RefSample> Harness<S> {
    /// What each shadow hides this tick (see [`SHADOWS`]), and who must
    /// hear the same there.
    pub(super) fn hide(&self) -> Hidden {
        let m = &self.model;
        let tick = m.tick;
        let n = m.parties.len();
        let everyone = 0..n;
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
        // all that it hides (itself included), and every tap channel that
        // records none of it.
        let checked: [Vec<usize>; 5] = std::array::from_fn(|k| {
            everyone
                .clone()
                .filter(|&l| hidden[k].iter().all(|&t| !m.allows(l, t)))
                .collect()
        });
        let taps: [Vec<(TapId, usize)>; 5] = std::array::from_fn(|k| {
            let mut channels = Vec::new();
            for t in &m.taps {
                let rows = if t.arg.stems { n } else { 2 };
                for c in 0..rows {
                    if hidden[k]
                        .iter()
                        .all(|&h| !t.on_channel(c, h, m.parties[h].role))
                    {
                        channels.push((t.id, c));
                    }
                }
            }
            channels
        });
        Hidden {
            talkers: hidden,
            probe,
            checked,
            taps,
        }
    }

    /// The shadows of this tick, before their frames: a copy of the twin
    /// for each that checks anything, none for the others. They last the
    /// tick: after it a resampler or a concealer in one could remember
    /// what it hid, where the next tick checks other listeners.
    ///
    /// Each is copied into the memory of a shadow of an earlier tick
    /// (`clone_from`), so that most ticks allocate nothing for them.
    pub(super) fn ready_shadows(&mut self, hidden: &Hidden) {
        for (k, slot) in self.shadows.iter_mut().enumerate() {
            if !hidden.useful(k) {
                continue;
            }
            let session = match self.spare_shadows.pop() {
                Some(mut spare) => {
                    spare.clone_from(&self.twin);
                    spare
                }
                None => self.twin.clone(),
            };
            *slot = Some(Shadow { session });
        }
    }

    /// After the tick: the shadows are gone, their memory kept for the
    /// next tick's.
    pub(super) fn drop_shadows(&mut self) {
        for slot in &mut self.shadows {
            if let Some(shadow) = slot.take() {
                self.spare_shadows.push(shadow.session);
            }
        }
    }

    /// Hands each shadow this tick's frames, but the probe or no frame for
    /// the talkers it hides.
    pub(super) fn feed_shadows(&mut self, hidden: &Hidden) {
        let m = &self.model;
        let probe = &hidden.probe;
        let hidden = &hidden.talkers;
        // Each party's probe, at its leg's length.
        let probes: Vec<Vec<S>> = m
            .parties
            .iter()
            .map(|p| (0..p.leg.samples_per_frame()).map(S::probe).collect())
            .collect();
        for (k, shadow) in self.shadows.iter_mut().enumerate() {
            let Some(shadow) = shadow else { continue };
            let shadow = &mut shadow.session;
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
        for (k, shadow) in self.shadows() {
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

    /// The shadows in a tick, by their number: every one that checks
    /// anything this tick is there.
    pub(super) fn shadows(&self) -> impl Iterator<Item = (usize, &Session<S>)> {
        self.shadows
            .iter()
            .enumerate()
            .filter_map(|(k, s)| Some((k, &s.as_ref()?.session)))
    }
}
