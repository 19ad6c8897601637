//! A supervised call recorded the way a contact centre records it: one
//! stereo file and one file per party.
//!
//! ```sh
//! cargo run --release --example record [-- --out DIR] [--whispers] [--rate HZ] [--swap]
//! ```
//!
//! The quickstart's three synthetic voices (a low customer, a high agent, a
//! breathy supervisor in between) talk in turns for ten seconds while the
//! supervisor listens (monitor, 0–2.5 s), coaches the agent (whisper,
//! 2.5–5 s), joins the call (barge, 5–7.5 s) and listens again (monitor,
//! 7.5–10 s). Two recording taps listen to the call:
//!
//! - a stereo tap ([`Tap::stereo`]), written to `DIR/stereo.wav`: the
//!   customer on the left channel, the agent's side on the right (`--swap`:
//!   the other way round);
//! - a stems tap ([`Tap::stems`]), one stem per party, written to
//!   `DIR/stem-customer.wav`, `DIR/stem-agent.wav` and
//!   `DIR/stem-supervisor.wav`.
//!
//! Default DIR: `target/record`. `--rate HZ` records both taps at HZ
//! (8000, 16000, 24000, 32000 or 48000) instead of the call's 8 kHz.
//!
//! ## Who is recorded, on which channel
//!
//! A tap records what was said, not what one listener heard: each talker
//! after its volume, without the route gains. Which talkers it records is a
//! rule (see `barge::tap`), so a supervisor who changes mode is picked up
//! or dropped without the host doing anything:
//!
//! | talker | recorded | stereo channel |
//! |---|---|---|
//! | customer | always | customer |
//! | agent | always | agent side |
//! | supervisor in monitor | never (nobody hears it) | – |
//! | supervisor in barge | yes | agent side |
//! | supervisor in whisper | only with `--whispers` ([`Tap::with_whispers`]) | agent side |
//!
//! A supervisor is on the agent's side in every mode: the customer's
//! channel holds the customer's voice alone. A tap that does not record
//! whispers holds none of a whisper: the supervisor's stem is silence,
//! every sample zero, until the supervisor barges.
//!
//! The example reads the files back and prints, for each phase, the level
//! of each voice on each channel, measured by least squares against the
//! voices themselves (1.00: the voice as spoken; 0.00: not a trace). It
//! exits with status 1 if a level contradicts the table above, 2 for a bad
//! flag.

/// `println!` that does not panic when stdout is closed early (e.g. piped
/// into `head`): what is printed is a courtesy, the exit status is the result.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

#[path = "common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use barge::resample::Resampler;
use barge::{Format, Join, Mode, PartyId, Role, SampleRate, Session, Tap, TapChannel};
use common::measure::{fit, TOLERANCE_HEARD, TOLERANCE_SILENT};
use common::schedule::{Phase, Schedule};
use common::voice::conversation;
use common::wav::{read_mono16, write_mono16};

const USAGE: &str = "usage: record [--out DIR] [--whispers] [--rate HZ] [--swap]   \
                     (default DIR: target/record)";
const SECONDS: f64 = 10.0;
const SCRIPT: &str = "0:monitor,2.5:whisper,5:barge,7.5:monitor";
/// The parties, in the order of every `[_; 3]` array here.
const NAMES: [&str; 3] = ["customer", "agent", "supervisor"];

/// What the command line asks for.
struct Options {
    out: PathBuf,
    /// Record the supervisor's whispers too.
    whispers: bool,
    /// The taps' rate, if not the call's.
    rate: Option<SampleRate>,
    /// The agent's side on the left of the stereo file.
    swap: bool,
}

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            say!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("record: {message} ({USAGE})");
            return ExitCode::from(2);
        }
    };
    match record(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("record: {message}");
            ExitCode::from(1)
        }
    }
}

/// Parses the flags; `Ok(None)` asks for help.
fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        out: PathBuf::from("target/record"),
        whispers: false,
        rate: None,
        swap: false,
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .filter(|v| !v.is_empty())
                .ok_or(format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--out" => options.out = PathBuf::from(value()?),
            "--rate" => {
                let text = value()?;
                let hz = text
                    .parse()
                    .map_err(|_| format!("--rate {text:?} is not a whole number of Hz"))?;
                options.rate = Some(SampleRate::from_hz(hz).map_err(|e| e.to_string())?);
            }
            "--whispers" if inline.is_none() => options.whispers = true,
            "--swap" if inline.is_none() => options.swap = true,
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    Ok(Some(options))
}

/// What the taps recorded, at the taps' format.
struct Recording {
    /// The stereo tap's frames, interleaved (left first).
    stereo: Vec<i16>,
    /// Which of the stereo tap's channels is on the left.
    left: TapChannel,
    /// The stems tap's stem of each party.
    stems: [Vec<i16>; 3],
    /// The taps' format.
    format: Format,
}

/// Plays the call with its two taps, writes the files, reads them back and
/// prints who is on which channel; `Ok(false)` if that contradicts the rule.
fn record(options: &Options) -> Result<bool, String> {
    let call = Format::NARROWBAND_20MS;
    let spoken = conversation(call.rate().hz(), SECONDS, 2.5);
    let schedule = Schedule::parse(SCRIPT)?;
    let ticks = (spoken[0].len() / call.samples_per_frame()) as u64;
    let phases = schedule.phases(call, ticks);
    let recording = play(call, &spoken, &phases, options).map_err(|e| e.to_string())?;
    let format = recording.format;
    let whispers = if options.whispers {
        "recorded"
    } else {
        "not recorded"
    };
    say!(
        "A {SECONDS} s call at {} Hz, recorded at {} Hz with a stereo tap and a stems tap, \
         whispers {whispers}.\n",
        call.rate().hz(),
        format.rate().hz()
    );

    std::fs::create_dir_all(&options.out)
        .map_err(|e| format!("cannot create {}: {e}", options.out.display()))?;
    let stereo_path = options.out.join("stereo.wav");
    write_stereo16(&stereo_path, format.rate().hz(), &recording.stereo)?;
    let stem_paths = NAMES.map(|n| options.out.join(format!("stem-{n}.wav")));
    for (path, stem) in stem_paths.iter().zip(&recording.stems) {
        write_mono16(path, format.rate().hz(), stem)?;
    }

    // Everything below is measured from the files as written.
    let (left, right) = read_stereo16(&stereo_path)?;
    let mut tracks: Vec<(String, Side, Vec<i16>)> = Vec::new();
    let (left_side, right_side) = match recording.left {
        TapChannel::Customer => (Side::Customer, Side::Agent),
        TapChannel::Agent => (Side::Agent, Side::Customer),
    };
    tracks.push((format!("stereo.wav left ({left_side})"), left_side, left));
    tracks.push((
        format!("stereo.wav right ({right_side})"),
        right_side,
        right,
    ));
    for (i, path) in stem_paths.iter().enumerate() {
        let (_, stem) = read_mono16(path)?;
        tracks.push((format!("stem-{}.wav", NAMES[i]), Side::Stem(i), stem));
    }

    // The voices as the taps hold them: through the tap's resampler alone
    // when it records at another rate than the call's.
    let references = spoken.each_ref().map(|v| at_rate(v, call, format));
    let [c, a, s] = &references;
    let spf = format.samples_per_frame();
    let mut ok = true;
    say!("Level of each voice on each channel, measured from the files (least squares;");
    say!("1.00: the voice as spoken, 0.00: not a trace of it; ! where the rule says otherwise):");
    say!(
        "  {:<22}{:<30}{:<10}{:<10}supervisor",
        "phase",
        "channel",
        "customer",
        "agent"
    );
    for phase in &phases {
        let (from, to) = phase.seconds(call);
        // The first frame of a phase is left out: channels that open ramp in
        // during it.
        let window = (phase.start as usize + 1) * spf..phase.end as usize * spf;
        for (k, (name, side, samples)) in tracks.iter().enumerate() {
            let label = if k == 0 {
                format!("{from:.2}-{to:.2} s {}", phase.mode)
            } else {
                String::new()
            };
            let levels = fit(samples, [c, a, s], window.clone());
            let mut line = format!("  {label:<22}{name:<30}");
            for (talker, level) in levels.iter().enumerate() {
                let expected = holds(*side, talker, phase.mode, options.whispers);
                let cell = match level {
                    Some(g) => {
                        let right = if expected {
                            (g - 1.0).abs() <= TOLERANCE_HEARD
                        } else {
                            g.abs() <= TOLERANCE_SILENT
                        };
                        ok &= right;
                        let g = if g.abs() < 0.005 { 0.0 } else { *g };
                        format!("{g:.2}{}", if right { "" } else { " !" })
                    }
                    None => {
                        ok = false;
                        "n/a !".to_string()
                    }
                };
                line += &format!("{cell:<10}");
            }
            say!("{}", line.trim_end());
        }
    }

    // The strongest form of "not recorded": the supervisor's stem is zero,
    // sample for sample, wherever the rule leaves the supervisor out.
    let stem = &tracks[4].2;
    let resampled = format.rate() != call.rate();
    say!("");
    for phase in phases
        .iter()
        .filter(|p| !holds(Side::Stem(2), 2, p.mode, options.whispers))
    {
        let (from, to) = phase.seconds(call);
        // A resampler's tail of a few ms reaches past the end of what it
        // was given: at another rate, count from the phase's second frame.
        let first = phase.start as usize + usize::from(resampled);
        let part = &stem[first * spf..phase.end as usize * spf];
        let loud = part.iter().filter(|&&x| x != 0).count();
        ok &= loud == 0;
        say!(
            "stem-supervisor.wav, {from:.2}-{to:.2} s {}: {loud} of {} samples not zero{}",
            phase.mode,
            part.len(),
            if loud == 0 { " (silent)" } else { " !" }
        );
    }

    say!("");
    if ok {
        say!("Every channel holds whom the recording rule says, and no one else.");
    } else {
        eprintln!("record: a channel contradicts the recording rule (marked ! above)");
    }
    say!("Listen: {}", stereo_path.display());
    for path in &stem_paths {
        say!("        {}", path.display());
    }
    Ok(ok)
}

/// Plays the scripted call through a session with a stereo tap and a stems
/// tap, and keeps every tick of what they recorded.
fn play(
    format: Format,
    spoken: &[Vec<i16>; 3],
    phases: &[Phase],
    options: &Options,
) -> Result<Recording, barge::Error> {
    let mut session = Session::<i16>::new(format);
    let ids: [PartyId; 3] = [
        session.join(Role::Customer)?,
        session.join(Role::Agent)?,
        session.join(Join::supervisor(Mode::Monitor))?,
    ];

    // Both taps follow the same rule; only the layout differs.
    let mut stereo = Tap::stereo().with_whispers(options.whispers);
    let mut stems = Tap::stems().with_whispers(options.whispers);
    if options.swap {
        stereo = stereo.swapped();
    }
    if let Some(rate) = options.rate {
        stereo = stereo.at_rate(rate.hz())?;
        stems = stems.at_rate(rate.hz())?;
    }
    let stereo_tap = session.add_tap(stereo)?;
    let stems_tap = session.add_tap(stems)?;
    let tap_format = session.tap_format(stereo_tap)?;

    let spf = format.samples_per_frame();
    let ticks = phases.last().map_or(0, |p| p.end);
    let mut recording = Recording {
        stereo: Vec::with_capacity(2 * ticks as usize * tap_format.samples_per_frame()),
        left: stereo.left().unwrap_or(TapChannel::Customer),
        stems: Default::default(),
        format: tap_format,
    };
    for tick in 0..ticks {
        if let Some(p) = phases.iter().find(|p| p.start == tick) {
            session.set_mode(ids[2], p.mode)?;
        }
        let at = tick as usize * spf..(tick as usize + 1) * spf;
        let frames: [(PartyId, &[i16]); 3] =
            std::array::from_fn(|i| (ids[i], &spoken[i][at.clone()]));
        session.mix_frames(&frames)?;
        // A host would send each party its `output` here; the taps are
        // read the same way, once per tick.
        recording
            .stereo
            .extend_from_slice(session.tap_frame(stereo_tap)?);
        for (stem, &id) in recording.stems.iter_mut().zip(&ids) {
            stem.extend_from_slice(session.tap_stem(stems_tap, id)?);
        }
        // The audit trail is not the point here, but it must be drained.
        while session.poll_event().is_some() {}
    }
    Ok(recording)
}

/// Which channel a track of the recording is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Side {
    /// The stereo file's customer channel.
    Customer,
    /// The stereo file's agent-side channel.
    Agent,
    /// The stem of party `i` (customer, agent, supervisor).
    Stem(usize),
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Side::Customer => f.write_str("customer"),
            Side::Agent => f.write_str("agent side"),
            Side::Stem(i) => f.write_str(NAMES[*i]),
        }
    }
}

/// The recording rule, written out from the table in the docs above so that
/// the example checks the library against it: whether `side` holds talker
/// `talker` (0 customer, 1 agent, 2 supervisor) while the supervisor is in
/// `mode`.
fn holds(side: Side, talker: usize, mode: Mode, whispers: bool) -> bool {
    let supervisor_recorded = match mode {
        Mode::Monitor => false,
        Mode::Barge | Mode::CustomerOnly => true,
        _ => whispers,
    };
    match (side, talker) {
        (Side::Customer, t) => t == 0,
        (Side::Agent, 1) => true,
        (Side::Agent, 2) => supervisor_recorded,
        (Side::Agent, _) => false,
        (Side::Stem(2), 2) => supervisor_recorded,
        (Side::Stem(i), t) => i == t && t != 2,
    }
}

/// `voice` (at the call's format) at the taps' format: converted frame by
/// frame as a tap converts its channels, or as it is.
fn at_rate(voice: &[i16], call: Format, tap: Format) -> Vec<i16> {
    if call.rate() == tap.rate() {
        return voice.to_vec();
    }
    let mut resampler = Resampler::new(call.rate(), tap.rate());
    let (spf, out) = (call.samples_per_frame(), tap.samples_per_frame());
    let mut converted = vec![0i16; voice.len() / spf * out];
    for (i, o) in voice.chunks_exact(spf).zip(converted.chunks_exact_mut(out)) {
        // Frames of the call's ptime are whole conversion steps.
        resampler
            .process_i16(i, o)
            .expect("a frame of the call's format converts to one of the tap's");
    }
    converted
}

/// Writes interleaved `samples` as a two-channel 16-bit PCM WAV file.
fn write_stereo16(path: &Path, rate: u32, samples: &[i16]) -> Result<(), String> {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let fail = |e: hound::Error| format!("cannot write {}: {e}", path.display());
    let mut w = hound::WavWriter::create(path, spec).map_err(fail)?;
    for &s in samples {
        w.write_sample(s).map_err(fail)?;
    }
    w.finalize().map_err(fail)
}

/// Reads a two-channel 16-bit WAV file back: its left and right channels.
fn read_stereo16(path: &Path) -> Result<(Vec<i16>, Vec<i16>), String> {
    let fail = |e: hound::Error| format!("cannot read {}: {e}", path.display());
    let reader = hound::WavReader::open(path).map_err(fail)?;
    if reader.spec().channels != 2 {
        return Err(format!("{} is not a stereo file", path.display()));
    }
    let samples = reader
        .into_samples::<i16>()
        .collect::<Result<Vec<i16>, _>>()
        .map_err(fail)?;
    let left = samples.iter().step_by(2).copied().collect();
    let right = samples.iter().skip(1).step_by(2).copied().collect();
    Ok((left, right))
}
