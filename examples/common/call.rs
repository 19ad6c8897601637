//! One call played through a [`barge::Session`]: three parties, the
//! supervisor following a [`Schedule`], every event of the audit trail kept
//! for the timeline.

use barge::{Event, Format, Mode, PartyId, Role, Session};

use super::schedule::{Phase, Schedule};

/// The parties, in the order of every `[_; 3]` array here.
pub const ROLES: [Role; 3] = [Role::Customer, Role::Agent, Role::Supervisor];

/// One line of the event timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Moment {
    /// The tick (frame index) at which it takes effect.
    pub tick: u64,
    /// That tick's start in seconds.
    pub seconds: f64,
    /// What happened, in words.
    pub what: String,
}

/// What a call produced.
#[derive(Debug, Clone)]
pub struct Played {
    /// What the customer, the agent and the supervisor heard, each as long
    /// as the longest input.
    pub heard: [Vec<i16>; 3],
    /// The audit trail, in order.
    pub timeline: Vec<Moment>,
    /// The supervisor's phases.
    pub phases: Vec<Phase>,
    /// Ticks mixed.
    pub ticks: u64,
}

/// Plays a call in `format`: the customer, agent and supervisor say
/// `spoken[0..3]` (a shorter one is padded with silence), the supervisor
/// follows `schedule`, and every tick's outputs are collected.
pub fn play(
    format: Format,
    spoken: [&[i16]; 3],
    schedule: &Schedule,
) -> Result<Played, barge::Error> {
    play_legs(format, [format; 3], spoken, schedule)
}

/// [`play`] with each party on a leg of its own format (`legs`: customer,
/// agent, supervisor; same ptime as `format`, any rate): each hands in and
/// hears frames at its leg's rate, and `heard[i]` is at `legs[i]`'s rate.
pub fn play_legs(
    format: Format,
    legs: [Format; 3],
    spoken: [&[i16]; 3],
    schedule: &Schedule,
) -> Result<Played, barge::Error> {
    let spfs = legs.map(|l| l.samples_per_frame());
    let ticks = (0..3)
        .map(|i| spoken[i].len().div_ceil(spfs[i]))
        .max()
        .unwrap_or(0) as u64;
    let phases = schedule.phases(format, ticks);

    let mut call = Session::<i16>::new(format);
    let ids: [PartyId; 3] = [
        call.join(Role::Customer)?,
        call.join(Role::Agent)?,
        call.join(Role::Supervisor)?,
    ];
    for (&id, &leg) in ids.iter().zip(&legs) {
        call.set_leg_format(id, leg)?;
    }
    let supervisor = ids[2];
    let mut timeline = Vec::new();
    let mut heard: [Vec<i16>; 3] = Default::default();
    for (h, &spf) in heard.iter_mut().zip(&spfs) {
        h.reserve(ticks as usize * spf);
    }
    let mut frame = vec![0i16; spfs.iter().copied().max().unwrap_or(0)];
    for tick in 0..ticks {
        // Control calls between ticks take effect at the next mix.
        if let Some(p) = phases.iter().find(|p| p.start == tick) {
            call.set_mode(supervisor, p.mode)?;
        }
        while let Some(event) = call.poll_event() {
            timeline.push(moment(format, &ids, event));
        }
        for ((&id, source), &spf) in ids.iter().zip(spoken).zip(&spfs) {
            let part = source.get(tick as usize * spf..).unwrap_or(&[]);
            let n = part.len().min(spf);
            frame[..n].copy_from_slice(&part[..n]);
            frame[n..spf].fill(0);
            call.put_frame(id, &frame[..spf])?;
        }
        call.mix();
        for (h, &id) in heard.iter_mut().zip(&ids) {
            h.extend_from_slice(call.output(id)?);
        }
    }
    while let Some(event) = call.poll_event() {
        timeline.push(moment(format, &ids, event));
    }
    // Each output as long as the longest input, at its own leg's rate.
    let seconds = (0..3)
        .map(|i| spoken[i].len() as f64 / f64::from(legs[i].rate().hz()))
        .fold(0.0, f64::max);
    for (h, leg) in heard.iter_mut().zip(&legs) {
        h.truncate((seconds * f64::from(leg.rate().hz())).round() as usize);
    }
    Ok(Played {
        heard,
        timeline,
        phases,
        ticks,
    })
}

fn moment(format: Format, ids: &[PartyId; 3], event: Event) -> Moment {
    let name = |p: PartyId| match ids.iter().position(|&i| i == p) {
        Some(i) => format!("{} {p}", ROLES[i]),
        None => format!("party {p}"),
    };
    let (tick, what) = match event {
        Event::Joined {
            party,
            mode: Some(mode),
            at,
            ..
        } => (
            at,
            format!("{} joins in {mode}: {}", name(party), explain(mode)),
        ),
        Event::Joined { party, at, .. } => (at, format!("{} joins", name(party))),
        Event::Left { party, at, .. } => (at, format!("{} leaves", name(party))),
        Event::ModeChanged {
            party,
            from,
            to,
            at,
            ..
        } => (
            at,
            format!("{} switches {from} -> {to}: {}", name(party), explain(to)),
        ),
        Event::RouteGainSet {
            listener,
            talker,
            gain,
            at,
            ..
        } => (
            at,
            format!(
                "{} hears {} at {:.1} dB (route gain)",
                name(listener),
                name(talker),
                gain.db()
            ),
        ),
        Event::RouteGainCleared {
            listener,
            talker,
            at,
            ..
        } => (
            at,
            format!(
                "route gain of {} hearing {} cleared",
                name(listener),
                name(talker)
            ),
        ),
        Event::VolumeChanged { party, to, at, .. } => {
            (at, format!("{} volume {:.1} dB", name(party), to.db()))
        }
        other => (other.at(), format!("{other:?}")),
    };
    Moment {
        tick,
        seconds: tick as f64 * f64::from(format.ptime().ms()) / 1000.0,
        what,
    }
}

/// What a supervisor's mode means, in one phrase.
pub fn explain(mode: Mode) -> &'static str {
    match mode {
        Mode::Monitor => "listens, nobody hears the supervisor",
        Mode::Whisper => "coaches the agent, the customer hears none of it",
        Mode::PrivateWhisper => {
            "coaches the agent without listening, the customer hears none of it"
        }
        Mode::CustomerOnly => "talks to the customer, the agent hears none of it",
        Mode::Barge => "joins the call, all three hear each other",
        _ => "a mode this example does not know",
    }
}

/// The rule of the mode table: whether `listener` hears `talker` while the
/// (only) supervisor is in `mode`. Written out here from the table, so that
/// the examples check the library against the specification, not against
/// itself.
pub fn should_hear(listener: Role, talker: Role, mode: Mode) -> bool {
    match (listener, talker) {
        (l, t) if l == t => false,
        (Role::Customer, Role::Agent) | (Role::Agent, Role::Customer) => true,
        (Role::Supervisor, _) => mode != Mode::PrivateWhisper,
        (Role::Customer, Role::Supervisor) => matches!(mode, Mode::CustomerOnly | Mode::Barge),
        (Role::Agent, Role::Supervisor) => {
            matches!(mode, Mode::Whisper | Mode::PrivateWhisper | Mode::Barge)
        }
        _ => false,
    }
}
