//! A small PBX in which barge mixes every call.
//!
//! ```text
//! cargo run --release -p barge-sip -- --config examples/sip/pbx.toml [--listen 127.0.0.1:5060]
//! ```
//!
//! A back-to-back user agent on rsipstack (SIP over UDP) and tokio: a
//! customer's phone dials an agent's extension; the PBX answers, calls the
//! agent's phone and bridges the two legs through one barge `Session`.
//! A supervisor dials `*222<ext>` or `88<ext>` and joins that extension's
//! call in monitor; keys 4 5 6 (Asterisk ChanSpy) and 0 1 2 3 (FreeSWITCH
//! eavesdrop) switch between monitor, customer only, whisper and barge, as
//! RFC 4733 telephone events or SIP INFO (`application/dtmf-relay`); the
//! supervisor hangs up to leave. When the agent hangs up while a
//! supervisor barges, the customer and the supervisor go on talking.
//!
//! Who may supervise whom and which callers need a disclosure before
//! anyone listens come from the config file (see `config.rs`), enforced by
//! barge's policy and consent gate. Codecs: PCMU, PCMA and G.722 (a call
//! with a wideband phone mixes at 16 kHz; the others' legs are resampled
//! by barge). Each call's audit timeline is printed when it ends.
//!
//! It binds 127.0.0.1 unless told otherwise. Exit status: 2 for bad
//! arguments or a config file that does not parse (one line saying
//! where), 1 if it cannot listen.

use std::net::SocketAddr;
use std::process::ExitCode;

use barge_sip::config::Config;

const USAGE: &str = "usage: barge-sip --config FILE [--listen IP:PORT]   (default 127.0.0.1:5060)";

struct Args {
    config: String,
    listen: SocketAddr,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut config = None;
    let mut listen: SocketAddr = ([127, 0, 0, 1], 5060).into();
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--config" | "--listen" => {
                let value = it
                    .next()
                    .ok_or_else(|| format!("{flag}: expected a value after it"))?;
                if flag == "--config" {
                    config = Some(value);
                } else {
                    listen = value
                        .parse()
                        .map_err(|_| format!("--listen: expected IP:PORT, got {value:?}"))?;
                    if listen.ip().is_unspecified() {
                        return Err(format!(
                            "--listen: expected an address of this host, got {value:?} \
                             (the SIP stack would advertise another address than the one it listens on)"
                        ));
                    }
                }
            }
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    let config = config.ok_or("--config: missing")?;
    Ok(Some(Args { config, listen }))
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("barge-sip: {e} ({USAGE})");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read_to_string(&args.config) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("barge-sip: {}: {e}", args.config);
            return ExitCode::from(2);
        }
    };
    let config = match Config::parse(&text) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("barge-sip: {}: {e}", args.config);
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("barge-sip: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(config, args.listen)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("barge-sip: {e}");
            ExitCode::from(1)
        }
    }
}

async fn run(config: Config, listen: SocketAddr) -> Result<(), String> {
    let (extensions, supervisors) = (config.extensions.len(), config.supervisors.len());
    let mut running = barge_sip::start(config, listen).await?;
    println!(
        "barge-sip: listening on udp {listen}: {extensions} extensions, {supervisors} supervisors; \
         supervisors dial *222<ext> or 88<ext>"
    );
    let stop = async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| e.to_string())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        Ok::<(), String>(())
    };
    tokio::select! {
        _ = running.stopped() => {}
        r = stop => r?,
    }
    println!("barge-sip: stopping with {} calls up", running.pbx.active());
    running.stop().await;
    Ok(())
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn arguments() {
        let args = |s: &str| parse_args(s.split_whitespace().map(String::from));
        let a = args("--config x.toml").unwrap().unwrap();
        assert_eq!(a.listen, "127.0.0.1:5060".parse().unwrap());
        assert!(args("--config x --listen 0.0.0.0:5060")
            .err()
            .unwrap()
            .contains("an address of this host"));
        assert_eq!(
            args("--listen 127.0.0.1:1").err().unwrap(),
            "--config: missing"
        );
        assert!(args("--bogus").err().unwrap().contains("unknown argument"));
        assert!(args("--help").unwrap().is_none());
    }
}
