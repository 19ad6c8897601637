//! The `mix_files` example's command line and work, kept here so that tests
//! can run it in-process as well as as a process.

use std::path::PathBuf;

use barge::{Format, Ptime};

use super::call::{play_legs, Played};
use super::schedule::Schedule;
use super::wav::{read_mono16, write_mono16};

/// The help text.
pub const USAGE: &str = "\
usage: mix_files --customer C.wav --agent A.wav --supervisor S.wav
                 --schedule \"0:monitor,2.5:whisper,5:barge,7.5:monitor\"
                 --out DIR [--ptime 20]

Mixes a three-party call from WAV files the way barge mixes a live one and
writes what each party hears to DIR/customer.wav, DIR/agent.wav and
DIR/supervisor.wav.

Inputs: mono 16-bit PCM WAV, each at 8000, 16000, 24000, 32000 or 48000 Hz
(they may differ: a PSTN customer at 8 kHz, a browser supervisor at 48 kHz).
The call mixes at the highest of their rates; each output is written at its
input's rate. A shorter input is padded with silence and the outputs are as
long as the longest input.

--schedule  the supervisor's mode from each time on, as TIME:MODE entries
            separated by commas; TIME in seconds, strictly increasing; MODE
            monitor, whisper, private-whisper, customer-only or barge.
            Before the first entry (if it is after
            0) the supervisor is in monitor. A mode starts with the first
            frame that starts at or after its time.
--ptime     frame duration in ms: 10, 20, 30, 40 or 60 (default 20).

Exit status: 0 done, 2 bad arguments or input files (one line on stderr),
1 the outputs could not be written.";

/// Why `mix_files` stopped: the exit status and one line for stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// 2 for bad arguments or inputs, 1 for outputs that could not be written.
    pub status: u8,
    /// What went wrong, on one line.
    pub message: String,
}

impl Failure {
    fn input(message: impl Into<String>) -> Failure {
        Failure {
            status: 2,
            message: message.into(),
        }
    }
}

/// The parsed command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    /// Input files of the customer, the agent and the supervisor.
    pub inputs: [PathBuf; 3],
    /// The supervisor's schedule.
    pub schedule: Schedule,
    /// Directory for the outputs.
    pub out: PathBuf,
    /// Frame duration.
    pub ptime: Ptime,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Mix.
    Mix(Args),
    /// Print [`USAGE`].
    Help,
}

const NAMES: [&str; 3] = ["customer", "agent", "supervisor"];

/// Parses the arguments (without the program name).
pub fn parse_args(args: &[String]) -> Result<Command, Failure> {
    let mut values: [Option<String>; 6] = Default::default();
    const FLAGS: [&str; 6] = [
        "--customer",
        "--agent",
        "--supervisor",
        "--schedule",
        "--out",
        "--ptime",
    ];
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--help" || arg == "-h" {
            return Ok(Command::Help);
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let Some(i) = FLAGS.iter().position(|&f| f == flag) else {
            return Err(Failure::input(format!(
                "unknown argument {arg:?}: expected {} (see --help)",
                FLAGS.join(", ")
            )));
        };
        let value = match inline {
            Some(v) => v,
            None => it
                .next()
                .cloned()
                .ok_or_else(|| Failure::input(format!("{flag} needs a value")))?,
        };
        if value.trim().is_empty() {
            return Err(Failure::input(format!("{flag} is empty: expected a value")));
        }
        if values[i].replace(value).is_some() {
            return Err(Failure::input(format!(
                "{flag} is given twice: expected it once"
            )));
        }
    }
    let [customer, agent, supervisor, schedule, out, ptime] = values;
    let need = |v: Option<String>, flag: &str| {
        v.ok_or_else(|| Failure::input(format!("missing {flag}: expected it (see --help)")))
    };
    let inputs = [
        PathBuf::from(need(customer, FLAGS[0])?),
        PathBuf::from(need(agent, FLAGS[1])?),
        PathBuf::from(need(supervisor, FLAGS[2])?),
    ];
    let schedule = Schedule::parse(&need(schedule, FLAGS[3])?).map_err(Failure::input)?;
    let out = PathBuf::from(need(out, FLAGS[4])?);
    let ptime = match ptime {
        None => Ptime::Ms20,
        Some(text) => {
            let ms: u32 = text.trim().parse().map_err(|_| {
                Failure::input(format!(
                    "--ptime {text:?} is not a whole number of milliseconds: expected 10, 20, 30, 40 or 60"
                ))
            })?;
            Ptime::from_ms(ms).map_err(|e| Failure::input(format!("--ptime {ms}: {e}")))?
        }
    };
    Ok(Command::Mix(Args {
        inputs,
        schedule,
        out,
        ptime,
    }))
}

/// A finished mix.
#[derive(Debug, Clone)]
pub struct Mixed {
    /// The call's format: the highest of the inputs' rates.
    pub format: Format,
    /// Each party's leg: its input's rate, at which its output is written.
    pub legs: [Format; 3],
    /// What the customer, the agent and the supervisor said, as read.
    pub spoken: [Vec<i16>; 3],
    /// The call as played.
    pub played: Played,
    /// The files written.
    pub written: [PathBuf; 3],
}

/// Reads the inputs, mixes the call and writes the outputs.
pub fn run(args: &Args) -> Result<Mixed, Failure> {
    let mut rates = [0u32; 3];
    let mut spoken: [Vec<i16>; 3] = Default::default();
    for i in 0..3 {
        let (rate, samples) = read_mono16(&args.inputs[i])
            .map_err(|e| Failure::input(format!("{} input: {e}", NAMES[i])))?;
        rates[i] = rate;
        spoken[i] = samples;
    }
    let mut legs = [Format::NARROWBAND_20MS; 3];
    for i in 0..3 {
        legs[i] = Format::new(rates[i], args.ptime.ms())
            .map_err(|e| Failure::input(format!("{}: {e}", args.inputs[i].display())))?;
    }
    // The call mixes at the highest of the inputs' rates, so that nobody's
    // voice loses bandwidth on the way; each party hears it at its own.
    let format = *legs.iter().max_by_key(|l| l.rate()).unwrap_or(&legs[0]);
    let played = play_legs(
        format,
        legs,
        [&spoken[0], &spoken[1], &spoken[2]],
        &args.schedule,
    )
    .map_err(|e| Failure {
        status: 1,
        message: format!("mixing failed: {e}"),
    })?;
    std::fs::create_dir_all(&args.out).map_err(|e| Failure {
        status: 1,
        message: format!("cannot create {}: {e}", args.out.display()),
    })?;
    let written = NAMES.map(|n| args.out.join(format!("{n}.wav")));
    for ((path, heard), leg) in written.iter().zip(&played.heard).zip(&legs) {
        write_mono16(path, leg.rate().hz(), heard)
            .map_err(|message| Failure { status: 1, message })?;
    }
    Ok(Mixed {
        format,
        legs,
        spoken,
        played,
        written,
    })
}
