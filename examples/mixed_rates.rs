//! A call whose parties are on legs of three different rates: a PSTN
//! customer at 8 kHz, an agent on a wideband desk phone at 16 kHz, and a
//! supervisor in a browser at 48 kHz (WebRTC's rate), mixed at 16 kHz.
//!
//! ```sh
//! cargo run --release --example mixed_rates [-- --out DIR]
//! ```
//!
//! The supervisor monitors (0–2.5 s), whispers (2.5–5 s), barges (5–7.5 s)
//! and monitors again. Each party hands in and hears frames at its own leg's
//! rate: the host writes no resampler. What each heard is written to
//! DIR/customer.wav (8 kHz), DIR/agent.wav (16 kHz) and DIR/supervisor.wav
//! (48 kHz), default DIR `target/mixed_rates`. The example measures from
//! that audio who heard whom in each phase and exits with status 1 if it
//! contradicts the mode table (2 for a bad flag).
//!
//! How it measures: a talker's voice reaches a listener through two
//! conversions (the talker's rate to the call's, the call's to the
//! listener's), so the reference for "the agent's voice as the customer
//! hears it" is the agent's voice run through those two conversions alone.
//! Each listener's output is then fitted by least squares as a weighted sum
//! of the three references: 1.00 heard at unity, 0.00 not at all.

/// `println!` that does not panic when stdout is closed early.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

#[path = "common/mod.rs"]
mod common;

use std::path::Path;
use std::process::ExitCode;

use barge::resample::Resampler;
use barge::{Error, Format, Mode, PartyId, Role, Session};
use common::cli::out_dir;
use common::measure::{contradictions, fit, table, PhaseLevels};
use common::schedule::Schedule;
use common::voice::conversation;
use common::wav::write_mono16;

const USAGE: &str = "usage: mixed_rates [--out DIR]   (default DIR: target/mixed_rates)";
const SECONDS: f64 = 10.0;
const SCRIPT: &str = "0:monitor,2.5:whisper,5:barge,7.5:monitor";
const NAMES: [&str; 3] = ["customer", "agent", "supervisor"];

fn main() -> ExitCode {
    let out = match out_dir(std::env::args().skip(1), "target/mixed_rates") {
        Ok(Some(out)) => out,
        Ok(None) => {
            say!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("mixed_rates: {message} ({USAGE})");
            return ExitCode::from(2);
        }
    };
    match run(&out) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("mixed_rates: {message}");
            ExitCode::from(1)
        }
    }
}

/// What was played: each party's leg format, voice and what it heard.
struct Played {
    legs: [Format; 3],
    spoken: [Vec<i16>; 3],
    heard: [Vec<i16>; 3],
    timeline: Vec<String>,
}

/// Plays the call through a [`Session`] mixed at 16 kHz, handing each
/// party's frames in borrowed at its own leg's rate.
fn play(schedule: &Schedule) -> Result<Played, Error> {
    let call = Format::new(16000, 20)?;
    let legs = [
        Format::new(8000, 20)?,
        Format::new(16000, 20)?,
        Format::new(48000, 20)?,
    ];
    // Each voice synthesized at its own leg's rate, as its phone would
    // send it.
    let spoken: [Vec<i16>; 3] =
        [0, 1, 2].map(|i| conversation(legs[i].rate().hz(), SECONDS, 2.5)[i].clone());
    let mut session = Session::<i16>::new(call);
    let ids: [PartyId; 3] = [
        session.join(Role::Customer)?,
        session.join(Role::Agent)?,
        session.join(Role::Supervisor)?,
    ];
    for (&id, &leg) in ids.iter().zip(&legs) {
        session.set_leg_format(id, leg)?;
    }
    let ticks = (SECONDS * 1000.0 / f64::from(call.ptime().ms())) as u64;
    let phases = schedule.phases(call, ticks);
    let mut heard: [Vec<i16>; 3] = Default::default();
    let mut timeline = Vec::new();
    for tick in 0..ticks {
        if let Some(p) = phases.iter().find(|p| p.start == tick) {
            session.set_mode(ids[2], p.mode)?;
        }
        let frames: [(PartyId, &[i16]); 3] = [0, 1, 2].map(|i| {
            let n = legs[i].samples_per_frame();
            let at = tick as usize * n;
            (ids[i], &spoken[i][at..at + n])
        });
        session.mix_frames(&frames)?;
        for (h, &id) in heard.iter_mut().zip(&ids) {
            h.extend_from_slice(session.output(id)?);
        }
        while let Some(e) = session.poll_event() {
            timeline.push(format!("tick {:>4}  {e:?}", e.at()));
        }
    }
    Ok(Played {
        legs,
        spoken,
        heard,
        timeline,
    })
}

/// `voice`, at `from`, as a listener at `to` hears it through a call at
/// `call`: converted to the call's rate and on to the listener's, in 20 ms
/// frames, exactly as the session converts it.
fn as_heard(voice: &[i16], from: Format, call: Format, to: Format) -> Vec<i16> {
    let mut into_call = Resampler::new(from.rate(), call.rate());
    let mut out_of_call = Resampler::new(call.rate(), to.rate());
    let (n_in, n_call, n_out) = (
        from.samples_per_frame(),
        call.samples_per_frame(),
        to.samples_per_frame(),
    );
    let mut mid = vec![0i16; n_call];
    let mut out = vec![0i16; voice.len() / n_in * n_out];
    for (frame, o) in voice.chunks_exact(n_in).zip(out.chunks_exact_mut(n_out)) {
        let converted = if from.rate() == call.rate() {
            mid.copy_from_slice(frame);
            Ok(0)
        } else {
            into_call.process_i16(frame, &mut mid)
        };
        let heard = if to.rate() == call.rate() {
            o.copy_from_slice(&mid);
            Ok(0)
        } else {
            out_of_call.process_i16(&mid, o)
        };
        // The lengths are those of the formats: neither can fail.
        debug_assert!(converted.is_ok() && heard.is_ok());
    }
    out
}

fn run(out: &Path) -> Result<bool, String> {
    let schedule = Schedule::parse(SCRIPT)?;
    let played = play(&schedule).map_err(|e| e.to_string())?;
    let call = Format::new(16000, 20).map_err(|e| e.to_string())?;
    say!("A 10 s call mixed at {call}: the customer at 8 kHz (PSTN), the agent at");
    say!("16 kHz (a wideband desk phone), the supervisor at 48 kHz (a browser).\n");
    say!("Events (tick = frame index; the time is tick x 20 ms):");
    for line in &played.timeline {
        say!("  {line}");
    }
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    for ((name, heard), leg) in NAMES.iter().zip(&played.heard).zip(&played.legs) {
        write_mono16(&out.join(format!("{name}.wav")), leg.rate().hz(), heard)?;
    }

    let ticks = (SECONDS * 50.0) as u64;
    let phases = schedule.phases(call, ticks);
    let measured: Vec<PhaseLevels> = phases
        .iter()
        .map(|&phase| {
            let levels = [0, 1, 2].map(|l| {
                let to = played.legs[l];
                let refs: [Vec<i16>; 3] =
                    [0, 1, 2].map(|t| as_heard(&played.spoken[t], played.legs[t], call, to));
                let spf = to.samples_per_frame();
                // The first frame of a phase ramps; leave it out.
                let range = (phase.start as usize + 1) * spf..phase.end as usize * spf;
                fit(&played.heard[l], [&refs[0], &refs[1], &refs[2]], range)
            });
            PhaseLevels { phase, levels }
        })
        .collect();
    say!("\nWho heard whom, measured from the written audio (least-squares level of");
    say!("each talker's converted voice in each listener's output):");
    for line in table(call, &measured).lines() {
        say!("  {line}");
    }

    // During whisper the customer hears exactly the agent's voice as its
    // leg carries it, sample for sample: not a trace of the supervisor.
    let agent_for_customer = as_heard(&played.spoken[1], played.legs[1], call, played.legs[0]);
    let spf = played.legs[0].samples_per_frame();
    let mut leaks = 0usize;
    for p in phases.iter().filter(|p| p.mode == Mode::Whisper) {
        let r = p.start as usize * spf..p.end as usize * spf;
        leaks += played.heard[0][r.clone()]
            .iter()
            .zip(&agent_for_customer[r])
            .filter(|(h, a)| h != a)
            .count();
    }
    say!(
        "\nDuring whisper, customer.wav differs from the agent's converted voice in {leaks} \
         samples (0: not a trace of the supervisor)."
    );
    let wrong = contradictions(call, &measured);
    for w in &wrong {
        eprintln!("mixed_rates: contradicts the mode table: {w}");
    }
    let ok = wrong.is_empty() && leaks == 0;
    if ok {
        say!("Every measured level agrees with the mode table.");
    }
    say!(
        "\nListen: {}/{{{}}}.wav (8, 16 and 48 kHz)",
        out.display(),
        NAMES.join(",")
    );
    Ok(ok)
}
