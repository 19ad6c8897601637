//! A ten-second scripted call that you can listen to.
//!
//! ```sh
//! cargo run --release --example quickstart [-- --out DIR]
//! ```
//!
//! Three synthetic voices (a low customer, a high agent, a supervisor in
//! between) talk in turns while the supervisor listens (monitor, 0–2.5 s),
//! coaches the agent (whisper, 2.5–5 s), joins the call (barge, 5–7.5 s) and
//! listens again (monitor, 7.5–10 s). What each party heard is written to
//! DIR/customer.wav, DIR/agent.wav and DIR/supervisor.wav (default DIR:
//! `target/quickstart`). The example prints the audit trail and a table of
//! who heard whom in each phase, measured from the written audio, and exits
//! with status 1 if that table contradicts the mode table (2 for a bad flag).

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

use barge::{Format, Mode};
use common::call::play;
use common::cli::out_dir;
use common::measure::{contradictions, table, who_heard_whom};
use common::schedule::Schedule;
use common::voice::conversation;
use common::wav::write_mono16;

const USAGE: &str = "usage: quickstart [--out DIR]   (default DIR: target/quickstart)";

fn main() -> ExitCode {
    let out = match out_dir(std::env::args().skip(1), "target/quickstart") {
        Ok(Some(out)) => out,
        Ok(None) => {
            say!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("quickstart: {message} (usage: quickstart [--out DIR])");
            return ExitCode::from(2);
        }
    };
    match quickstart(&out) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("quickstart: {message}");
            ExitCode::from(1)
        }
    }
}

/// Plays, writes, prints and checks the call; `Ok(false)` if the measured
/// table contradicts the mode table.
fn quickstart(out: &std::path::Path) -> Result<bool, String> {
    let format = Format::NARROWBAND_20MS;
    let rate = format.rate().hz();
    let spoken = conversation(rate, 10.0, 2.5);
    let schedule = Schedule::parse("0:monitor,2.5:whisper,5:barge,7.5:monitor")?;
    let [c, a, s] = &spoken;
    let played = play(format, [c, a, s], &schedule).map_err(|e| e.to_string())?;

    say!("A 10 s call ({format}).");
    say!("Three synthetic voices speak in turns: the customer (low, slow), the");
    say!("agent (high, quick) and the supervisor (in between, breathy).\n");
    say!("Events (tick = frame index; the time is tick x 20 ms):");
    for m in &played.timeline {
        say!("  tick {:>4}  {:>5.2} s  {}", m.tick, m.seconds, m.what);
    }

    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let names = ["customer", "agent", "supervisor"];
    for (name, heard) in names.iter().zip(&played.heard) {
        write_mono16(&out.join(format!("{name}.wav")), rate, heard)?;
    }

    let [hc, ha, hs] = &played.heard;
    let measured = who_heard_whom(format, [c, a, s], [hc, ha, hs], &played.phases);
    say!("\nWho heard whom, measured from the written audio (least-squares level of");
    say!("each talker's voice in each listener's output, relative to the voice itself):");
    for line in table(format, &measured).lines() {
        say!("  {line}");
    }

    // The strongest form of the whisper guarantee: during whisper the
    // customer hears exactly the agent, sample for sample.
    let spf = format.samples_per_frame();
    let mut leaks = 0usize;
    for p in played.phases.iter().filter(|p| p.mode == Mode::Whisper) {
        let r = p.start as usize * spf..p.end as usize * spf;
        leaks += hc[r.clone()]
            .iter()
            .zip(&a[r])
            .filter(|(h, a)| h != a)
            .count();
    }
    say!(
        "\nDuring whisper, customer.wav differs from the agent's voice in {leaks} samples \
         (0: not a trace of the supervisor)."
    );

    let wrong = contradictions(format, &measured);
    for w in &wrong {
        eprintln!("quickstart: contradicts the mode table: {w}");
    }
    if leaks > 0 {
        eprintln!("quickstart: the customer heard something other than the agent during whisper");
    }
    let ok = wrong.is_empty() && leaks == 0;
    if ok {
        say!("Every measured level agrees with the mode table.");
    }
    say!("\nListen: {}/{{{}}}.wav", out.display(), names.join(","));
    Ok(ok)
}
