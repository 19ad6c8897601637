//! Mixes a call from three WAV files, the supervisor following a schedule of
//! modes, and writes what each party hears.
//!
//! ```sh
//! cargo run --release --example mix_files -- \
//!     --customer C.wav --agent A.wav --supervisor S.wav \
//!     --schedule "0:monitor,2.5:whisper,5:barge,7.5:monitor" --out DIR [--ptime 20]
//! ```
//!
//! Inputs are mono 16-bit PCM WAV at one common rate (8, 16, 24, 32 or
//! 48 kHz). Bad arguments or inputs print one line on stderr and exit with
//! status 2. See `--help` for the details of the schedule.

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

use std::process::ExitCode;

use common::measure::{table, who_heard_whom};
use common::mix_files::{parse_args, run, Command, USAGE};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = parse_args(&args).and_then(|command| match command {
        Command::Help => {
            say!("{USAGE}");
            Ok(None)
        }
        Command::Mix(args) => run(&args).map(Some),
    });
    let mixed = match result {
        Ok(Some(mixed)) => mixed,
        Ok(None) => return ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("mix_files: {}", failure.message);
            return ExitCode::from(failure.status);
        }
    };
    let format = mixed.format;
    let played = &mixed.played;
    let seconds = played.heard[0].len() as f64 / f64::from(format.rate().hz());
    say!(
        "Mixed {seconds:.2} s of call at {format} ({} ticks).\n",
        played.ticks
    );
    say!("Events:");
    for m in &played.timeline {
        say!("  tick {:>6}  {:>8.2} s  {}", m.tick, m.seconds, m.what);
    }
    let [c, a, s] = &mixed.spoken;
    let [hc, ha, hs] = &played.heard;
    let measured = who_heard_whom(format, [c, a, s], [hc, ha, hs], &played.phases);
    say!("\nWho heard whom, measured from the outputs (level relative to the input;\n  n/a: a talker silent in that phase, or inputs too alike to tell apart):");
    for line in table(format, &measured).lines() {
        say!("  {line}");
    }
    say!("");
    for path in &mixed.written {
        say!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}
