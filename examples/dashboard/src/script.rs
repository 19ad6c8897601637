//! What the simulated calls say: each call's customer and agent on a
//! script that loops, in the synthesized voices of the other examples,
//! over a faint line noise (about −60 dBFS), as on a phone line. The
//! scripts give the call signals something to find: calls that go well,
//! an agent who talks on, a customer who keeps cutting in.

use super::common::voice::Voice;

/// What a simulated call plays.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scenario {
    /// A call going well, on a 12 s script: in every `round` seconds the
    /// customer says something and the agent answers, with pauses of
    /// 0.4 s or more between them.
    Conversation { round: f64 },
    /// The agent talks for 38 s in sentences with short pauses, the
    /// customer saying "mm-hm" now and then; then the customer, then the
    /// agent again (50 s).
    AgentMonologue,
    /// The customer cuts in on the agent three times in the first 12 s of
    /// every 30 s, the agent on the customer once, and the customer says
    /// "mm-hm" once (30 s).
    Interruptions,
}

impl Scenario {
    /// Call `n`'s (1-based) scenario: two calls going well (the browser
    /// test supervises the second), a monologue, interruptions.
    pub fn of_call(n: usize) -> Scenario {
        match (n - 1) % 4 {
            0 => Scenario::Conversation { round: 3.0 },
            1 => Scenario::Conversation { round: 4.0 },
            2 => Scenario::AgentMonologue,
            _ => Scenario::Interruptions,
        }
    }

    /// A short name for the page.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Conversation { .. } => "conversation",
            Scenario::AgentMonologue => "agent monologue",
            Scenario::Interruptions => "interruptions",
        }
    }

    /// The customer's and the agent's audio at `rate` Hz, of the same
    /// length, each with its line noise; and the line noise alone (what
    /// each hands in when it says nothing).
    pub fn voices(self, rate: u32) -> ([Vec<i16>; 2], [Vec<i16>; 2]) {
        let voices = match self {
            Scenario::Conversation { round } => {
                let seconds = 12.0;
                let (mut customer, mut agent) = (Vec::new(), Vec::new());
                let mut k = 0;
                while (k as f64 + 1.0) * round <= seconds {
                    // The customer's share varies a little by round.
                    let t0 = k as f64 * round;
                    let wiggle = [0.0, 0.2, -0.15, 0.1][k % 4];
                    let c = (t0 + 0.25, 0.5 * round - 0.45 + wiggle);
                    let a_start = c.0 + c.1 + 0.4;
                    customer.push(c);
                    agent.push((a_start, t0 + round - 0.5 - a_start));
                    k += 1;
                }
                [
                    Voice::Customer.speak(rate, seconds, &customer),
                    Voice::Agent.speak(rate, seconds, &agent),
                ]
            }
            Scenario::AgentMonologue => {
                let seconds = 50.0;
                let mut agent = sentences(0.3, 38.0);
                agent.extend(sentences(45.1, 49.0));
                let mut customer = vec![(8.2, 0.35), (19.4, 0.4), (27.7, 0.3)];
                customer.extend(sentences(38.7, 44.5));
                [
                    Voice::Customer.speak(rate, seconds, &customer),
                    Voice::Agent.speak(rate, seconds, &agent),
                ]
            }
            Scenario::Interruptions => {
                let seconds = 30.0;
                // (start, end) of each utterance; a turn that starts
                // before the other's ends cuts in on it.
                let agent = [
                    (0.2, 4.2),
                    (6.2, 8.8),
                    (10.8, 12.6),
                    (14.6, 17.0),
                    (19.3, 22.5),
                    (25.6, 29.0),
                ];
                let customer = [
                    (3.0, 5.6),
                    (7.6, 10.2),
                    (11.5, 14.0),
                    (17.6, 20.5),
                    (23.1, 25.0),
                    (27.0, 27.4),
                ];
                let plan =
                    |u: &[(f64, f64)]| u.iter().map(|&(s, e)| (s, e - s)).collect::<Vec<_>>();
                [
                    Voice::Customer.speak(rate, seconds, &plan(&customer)),
                    Voice::Agent.speak(rate, seconds, &plan(&agent)),
                ]
            }
        };
        let noise = [
            line_noise(voices[0].len(), 0x11_7E_C0),
            line_noise(voices[1].len(), 0x11_7E_A6),
        ];
        let said = [0, 1].map(|k| {
            voices[k]
                .iter()
                .zip(&noise[k])
                .map(|(&v, &n)| v.saturating_add(n))
                .collect()
        });
        (said, noise)
    }
}

/// Sentences of 2 to 3.4 s with pauses of 0.35 to 0.55 s between them,
/// from `start` until `end` (seconds): one turn, as the pauses are shorter
/// than the call signals' turn pause.
fn sentences(start: f64, end: f64) -> Vec<(f64, f64)> {
    const LENGTHS: [f64; 5] = [2.6, 3.4, 2.1, 3.0, 2.4];
    const PAUSES: [f64; 4] = [0.4, 0.55, 0.35, 0.45];
    let mut plan = Vec::new();
    let mut at = start;
    let mut k = 0;
    while at < end {
        let len = LENGTHS[k % LENGTHS.len()].min(end - at);
        plan.push((at, len));
        at += len + PAUSES[k % PAUSES.len()];
        k += 1;
    }
    plan
}

/// White noise of about −60 dBFS RMS (uniform in ±57), the same every run.
fn line_noise(len: usize, seed: u64) -> Vec<i16> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            // SplitMix64.
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            ((z % 115) as i16) - 57
        })
        .collect()
}
