//! Synthetic voices: deterministic, speech-like signals that a listener tells
//! apart at once, without shipping any recording.
//!
//! Each voice is a glottal pulse train (Rosenberg pulse, differentiated for
//! lip radiation, with a little breath noise) through three vowel formant
//! resonators. It speaks in utterances of syllables: each syllable has its own
//! vowel, an amplitude envelope, an accent on its pitch and sometimes a
//! consonant-like noise burst at its onset; the pitch falls over an utterance
//! as it does in speech. The three parties differ in pitch, vocal tract length
//! (formant scale), speaking rate, vowel colouring and breathiness.

use core::f64::consts::PI;

/// The three parties of the scripted call, in the order the examples use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voice {
    /// A low, slow, dark voice (about 110 Hz).
    Customer,
    /// A high, quick, bright voice (about 210 Hz).
    Agent,
    /// A middle, calm, breathy voice (about 160 Hz).
    Supervisor,
}

/// How a voice sounds.
#[derive(Debug, Clone, Copy)]
struct Timbre {
    /// Mean fundamental frequency, Hz.
    f0: f64,
    /// Formant frequencies relative to an adult male vocal tract.
    formant_scale: f64,
    /// Mean syllable duration, s.
    syllable_s: f64,
    /// Breath noise relative to the voiced source.
    breath: f64,
    /// Indices into [`VOWELS`] this voice draws its syllables from.
    vowels: &'static [usize],
    /// Peak level of the finished signal, in i16 units.
    peak: f64,
    /// Seed of the voice's random choices.
    seed: u64,
}

/// F1, F2, F3 of an adult male vocal tract, Hz: /a/ /i/ /u/ /ɛ/ /o/ /æ/ /ʌ/.
const VOWELS: [[f64; 3]; 7] = [
    [730.0, 1090.0, 2440.0],
    [270.0, 2290.0, 3010.0],
    [300.0, 870.0, 2240.0],
    [530.0, 1840.0, 2480.0],
    [570.0, 840.0, 2410.0],
    [660.0, 1720.0, 2410.0],
    [640.0, 1190.0, 2390.0],
];

/// Formant bandwidths, Hz.
const BANDWIDTHS: [f64; 3] = [90.0, 110.0, 170.0];

impl Voice {
    /// All three, in call order: customer, agent, supervisor.
    pub const ALL: [Voice; 3] = [Voice::Customer, Voice::Agent, Voice::Supervisor];

    fn timbre(self) -> Timbre {
        // Peaks are chosen so that the three voices summed can never clip:
        // 9000 + 9000 + 9000 < 32767.
        match self {
            Voice::Customer => Timbre {
                f0: 110.0,
                formant_scale: 0.95,
                syllable_s: 0.24,
                breath: 0.02,
                vowels: &[0, 2, 4, 6],
                peak: 9000.0,
                seed: 0x0C05_7011,
            },
            Voice::Agent => Timbre {
                f0: 210.0,
                formant_scale: 1.17,
                syllable_s: 0.16,
                breath: 0.04,
                vowels: &[1, 3, 5, 0],
                peak: 9000.0,
                seed: 0xA6E7_0002,
            },
            Voice::Supervisor => Timbre {
                f0: 160.0,
                formant_scale: 1.06,
                syllable_s: 0.28,
                breath: 0.12,
                vowels: &[4, 5, 3, 6],
                peak: 9000.0,
                seed: 0x5005_E7F3,
            },
        }
    }

    /// This voice speaking during `utterances` (start and duration in
    /// seconds), silent elsewhere, `seconds` long at `rate` Hz.
    pub fn speak(self, rate: u32, seconds: f64, utterances: &[(f64, f64)]) -> Vec<i16> {
        let t = self.timbre();
        let fs = f64::from(rate);
        let len = (seconds * fs).round() as usize;
        let mut out = vec![0.0f64; len];
        let mut rng = Rng(t.seed);
        for (u, &(start, dur)) in utterances.iter().enumerate() {
            let first = (start * fs).round() as usize;
            let n = ((dur * fs).round() as usize).min(len.saturating_sub(first));
            if n == 0 {
                continue;
            }
            let syllables = ((dur / t.syllable_s).round() as usize).max(1);
            let plan: Vec<Syllable> = (0..syllables)
                .map(|_| Syllable {
                    vowel: t.vowels[rng.below(t.vowels.len())],
                    accent: rng.uniform(-0.06, 0.14),
                    burst: rng.uniform(0.0, 1.0) < 0.6,
                })
                .collect();
            utter(&t, fs, &plan, &mut rng, u, &mut out[first..first + n]);
        }
        let peak = out.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let scale = if peak > 0.0 { t.peak / peak } else { 0.0 };
        out.iter()
            .map(|x| (x * scale).round().clamp(-32768.0, 32767.0) as i16)
            .collect()
    }
}

/// One syllable of an utterance.
#[derive(Debug, Clone, Copy)]
struct Syllable {
    vowel: usize,
    /// Relative pitch raise on this syllable.
    accent: f64,
    /// Whether it starts with a consonant-like noise burst.
    burst: bool,
}

/// Writes one utterance of `plan` into `out` (unscaled).
fn utter(t: &Timbre, fs: f64, plan: &[Syllable], rng: &mut Rng, index: usize, out: &mut [f64]) {
    let n = out.len();
    let per = n as f64 / plan.len() as f64;
    let nyquist_margin = 0.45 * fs;
    let mut phase = 0.0f64;
    let mut prev_glottal = 0.0f64;
    let mut formants = scaled(t, plan[0].vowel, nyquist_margin);
    let mut res = [Resonator::default(); 3];
    let mut prev_noise = 0.0f64;
    // Formants glide to each new vowel with a 25 ms time constant.
    let glide = 1.0 - (-1.0 / (0.025 * fs)).exp();
    for (i, y) in out.iter_mut().enumerate() {
        let pos = i as f64 / per;
        let s = (pos as usize).min(plan.len() - 1);
        let syl = plan[s];
        let within = pos - s as f64; // 0..1 inside the syllable
        let through = i as f64 / n as f64; // 0..1 inside the utterance

        // Pitch: declination over the utterance, an accent per syllable that
        // peaks mid-syllable, a slow 5.5 Hz wobble, and a question-like rise
        // at the end of every third utterance.
        let rise = if index % 3 == 2 {
            0.25 * ((through - 0.8).max(0.0) / 0.2)
        } else {
            0.0
        };
        let wobble = 0.012 * (2.0 * PI * 5.5 * i as f64 / fs).sin();
        let f0 = t.f0 * (1.08 - 0.18 * through + syl.accent * (PI * within).sin() + wobble + rise);
        phase += f0 / fs;
        phase -= phase.floor();
        let glottal = rosenberg(phase);
        let voiced = glottal - prev_glottal;
        prev_glottal = glottal;

        let noise = rng.uniform(-1.0, 1.0);
        let hiss = noise - prev_noise; // first difference: a high-passed hiss
        prev_noise = noise;

        // Envelope: each syllable rises and falls; the first and last
        // 30 ms of the utterance fade so it starts and ends cleanly.
        let syll_env = (PI * within).sin().powf(0.7);
        let edge = (i.min(n - 1 - i) as f64 / (0.03 * fs)).min(1.0);
        let env = syll_env * edge;

        let target = scaled(t, syl.vowel, nyquist_margin);
        for (f, goal) in formants.iter_mut().zip(target) {
            *f += glide * (goal - *f);
        }
        let mut x = voiced + t.breath * 0.05 * noise;
        for (r, (&f, &bw)) in res.iter_mut().zip(formants.iter().zip(&BANDWIDTHS)) {
            x = r.step(x, f, bw * t.formant_scale, fs);
        }
        // A consonant: a short hiss at the syllable onset, before the vowel.
        let burst = if syl.burst && within < 0.18 {
            0.35 * hiss * (1.0 - within / 0.18) * edge
        } else {
            0.0
        };
        *y = x * env + burst * 0.05;
    }
    // Vowels pass the formant filters at very different gains; even out the
    // syllables so that none drowns the others, keeping the accents and a
    // slight fall in loudness over the utterance. Each syllable's envelope
    // is near zero at its edges, so scaling it whole makes no click.
    for (s, syl) in plan.iter().enumerate() {
        let from = (s as f64 * per) as usize;
        let to = (((s + 1) as f64 * per) as usize).min(n);
        let part = &mut out[from..to];
        let rms = (part.iter().map(|v| v * v).sum::<f64>() / part.len().max(1) as f64).sqrt();
        if rms > 0.0 {
            let through = s as f64 / plan.len() as f64;
            let level = (1.0 + 2.0 * syl.accent) * (1.0 - 0.25 * through);
            part.iter_mut().for_each(|v| *v *= level / rms);
        }
    }
}

fn scaled(t: &Timbre, vowel: usize, max: f64) -> [f64; 3] {
    VOWELS[vowel].map(|f| (f * t.formant_scale).min(max))
}

/// The Rosenberg glottal pulse over one period, `phase` in 0..1.
fn rosenberg(phase: f64) -> f64 {
    const OPEN: f64 = 0.40;
    const CLOSE: f64 = 0.16;
    if phase < OPEN {
        0.5 * (1.0 - (PI * phase / OPEN).cos())
    } else if phase < OPEN + CLOSE {
        (PI * (phase - OPEN) / (2.0 * CLOSE)).cos()
    } else {
        0.0
    }
}

/// A two-pole resonator with unity gain at 0 Hz (Klatt's formant filter).
#[derive(Debug, Clone, Copy, Default)]
struct Resonator {
    y1: f64,
    y2: f64,
}

impl Resonator {
    fn step(&mut self, x: f64, f: f64, bw: f64, fs: f64) -> f64 {
        let c = -(-2.0 * PI * bw / fs).exp();
        let b = 2.0 * (-PI * bw / fs).exp() * (2.0 * PI * f / fs).cos();
        let a = 1.0 - b - c;
        let y = a * x + b * self.y1 + c * self.y2;
        self.y2 = self.y1;
        self.y1 = y;
        y
    }
}

/// SplitMix64: a tiny deterministic generator, so every run sounds the same.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The scripted conversation: every `turn` seconds the customer speaks, the
/// agent answers, and the supervisor says something, in turns with short
/// gaps, so that each voice speaks in every part of the call. Returns the
/// customer's, the agent's and the supervisor's signals, each `seconds` long.
pub fn conversation(rate: u32, seconds: f64, turn: f64) -> [Vec<i16>; 3] {
    let mut plans: [Vec<(f64, f64)>; 3] = Default::default();
    let mut k = 0usize;
    while (k as f64) * turn < seconds {
        let t0 = k as f64 * turn;
        // Vary the turns a little from one round to the next.
        let wiggle = [0.0, 0.04, -0.03, 0.02][k % 4] * turn;
        let c = (t0 + 0.04 * turn, 0.34 * turn + wiggle);
        let a = (c.0 + c.1 + 0.04 * turn, 0.30 * turn - wiggle);
        let s = (a.0 + a.1 + 0.04 * turn, 0.22 * turn);
        for (plan, u) in plans.iter_mut().zip([c, a, s]) {
            if u.0 < seconds {
                plan.push((u.0, u.1.min(seconds - u.0)));
            }
        }
        k += 1;
    }
    [0, 1, 2].map(|i| Voice::ALL[i].speak(rate, seconds, &plans[i]))
}
