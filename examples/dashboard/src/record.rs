//! `--record DIR`: what every party said and heard, as WAV files, and a log
//! of the audit events and requests, for the browser test to analyse.
//!
//! Files in DIR:
//! - `call{N}-{customer,agent}-{said,heard}.wav` (8 kHz), from tick 0;
//! - `supervisor-{said,heard}.wav` (48 kHz), from tick 0: what the
//!   supervisor's leg handed to the session (the browser's decoded Opus)
//!   and what the session handed back, silence while it is on no call;
//! - `log.txt`, one line per entry, `TICK CALL WHAT…`: `request MODE|leave`
//!   (the tick whose mix first follows the request), `joined ROLE MODE|-`,
//!   `left ROLE`, `mode FROM TO`, each at the tick it takes effect, and
//!   `refused MODE` (a request barge's policy refused: nothing changed);
//! - the supervisor's files are those of the first supervisor whose browser
//!   connected.
//!
//! Writing is buffered; [`Recorder::finish`] completes the WAV headers.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

use barge::Event;

type Wav = hound::WavWriter<BufWriter<File>>;

pub struct Recorder {
    dir: PathBuf,
    wavs: BTreeMap<String, Wav>,
    log: BufWriter<File>,
    failed: Option<String>,
}

impl Recorder {
    pub fn new(dir: &Path) -> Result<Recorder, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let path = dir.join("log.txt");
        let log =
            File::create(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(Recorder {
            dir: dir.to_path_buf(),
            wavs: BTreeMap::new(),
            log: BufWriter::new(log),
            failed: None,
        })
    }

    fn write(&mut self, name: &str, rate: u32, samples: &[i16]) {
        if self.failed.is_some() {
            return;
        }
        if !self.wavs.contains_key(name) {
            let spec = hound::WavSpec {
                channels: 1,
                sample_rate: rate,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            };
            match hound::WavWriter::create(self.dir.join(format!("{name}.wav")), spec) {
                Ok(w) => {
                    self.wavs.insert(name.to_string(), w);
                }
                Err(e) => {
                    self.failed = Some(format!("cannot create {name}.wav: {e}"));
                    return;
                }
            }
        }
        if let Some(w) = self.wavs.get_mut(name) {
            let mut i16s = w.get_i16_writer(samples.len() as u32);
            for &s in samples {
                i16s.write_sample(s);
            }
            if let Err(e) = i16s.flush() {
                self.failed = Some(format!("cannot write {name}.wav: {e}"));
            }
        }
    }

    /// One tick of call `n`.
    pub fn call_frame(
        &mut self,
        n: usize,
        said_c: &[i16],
        heard_c: &[i16],
        said_a: &[i16],
        heard_a: &[i16],
    ) {
        let rate = super::calls::CALL_FORMAT.rate().hz();
        self.write(&format!("call{n}-customer-said"), rate, said_c);
        self.write(&format!("call{n}-customer-heard"), rate, heard_c);
        self.write(&format!("call{n}-agent-said"), rate, said_a);
        self.write(&format!("call{n}-agent-heard"), rate, heard_a);
    }

    /// One tick of the supervisor's leg.
    pub fn supervisor_frame(&mut self, said: &[i16], heard: &[i16]) {
        let rate = super::calls::SUPERVISOR_FORMAT.rate().hz();
        self.write("supervisor-said", rate, said);
        self.write("supervisor-heard", rate, heard);
    }

    fn line(&mut self, line: &str) {
        if self.failed.is_none() {
            if let Err(e) = writeln!(self.log, "{line}") {
                self.failed = Some(format!("cannot write log.txt: {e}"));
            }
        }
    }

    /// A request from the page, applied before the mix of `tick`.
    pub fn request(&mut self, tick: u64, call: usize, what: &str) {
        self.line(&format!("{tick} {call} request {what}"));
    }

    /// An audit event of call `call`.
    pub fn event(&mut self, call: usize, e: &Event) {
        let word = |s: String| s.replace(' ', "-");
        let line = match *e {
            Event::Joined { role, mode, at, .. } => format!(
                "{at} {call} joined {role} {}",
                mode.map_or("-".into(), |m| word(m.to_string()))
            ),
            Event::Left { role, at, .. } => format!("{at} {call} left {role}"),
            Event::ModeChanged { from, to, at, .. } => format!(
                "{at} {call} mode {} {}",
                word(from.to_string()),
                word(to.to_string())
            ),
            Event::Refused { at, ref refusal } => format!("{at} {call} refused {}", refusal.mode),
            _ => return,
        };
        self.line(&line);
    }

    /// Completes every file; the first error met while recording, if any.
    pub fn finish(mut self) -> Result<(), String> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        for (name, w) in std::mem::take(&mut self.wavs) {
            w.finalize()
                .map_err(|e| format!("cannot finish {name}.wav: {e}"))?;
        }
        self.log
            .flush()
            .map_err(|e| format!("cannot write log.txt: {e}"))
    }
}
