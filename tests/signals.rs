//! Call signals on scripted calls: talk and silence at known times, made
//! of syllable-like tone bursts over each line's own noise, at every rate,
//! for both sample types and through G.711. Each expected value comes from
//! the script (in ms), with a stated tolerance for the detector's onset
//! (one or two blocks of 10 ms) and hangover (70 ms on a noisy line, 40 ms
//! on a clear one, and up to 300 ms of carry over a noisy line).

mod common;

use std::time::Duration;

use barge::g711::Law;
use barge::{Alert, Error, Format, Role, Session, SignalConfig};

/// Talk spans of one party, in ms: `[start, end)`.
type Spans = &'static [(u64, u64)];

/// The script: the customer explains (with a 300 ms pause inside the
/// turn) while the agent says "mm-hm" (400 ms); the agent replies 600 ms
/// after the customer stops and talks for 6 s; 4 s of dead air; the
/// customer speaks again and the agent cuts in after 1.4 s and talks on.
const CUSTOMER: Spans = &[(2000, 4000), (4300, 6000), (16600, 19000)];
const AGENT: Spans = &[(3000, 3400), (6600, 12600), (18000, 21000)];
const END: u64 = 22000;

/// One party's audio at `rate`: noise at `noise_dbfs` all along, and in
/// its spans a voice at `voice_dbfs`: bursts of three tones (syllables of
/// 180 ms, dips of 40 ms to a tenth).
fn voice(spans: Spans, rate: u32, voice_dbfs: f32, noise_dbfs: f32, seed: u64) -> Vec<f32> {
    let n = (END * u64::from(rate) / 1000) as usize;
    let mut rng = common::Rng::new(seed);
    let full = 32768.0f32;
    let na = full * 10f32.powf(noise_dbfs / 20.0) * 3f32.sqrt();
    let va = full * 10f32.powf(voice_dbfs / 20.0) * 2f32.sqrt() / 3f32.sqrt();
    (0..n)
        .map(|i| {
            let ms = i as u64 * 1000 / u64::from(rate);
            let u = (rng.next() >> 11) as f32 / (1u64 << 53) as f32;
            let mut x = na * (2.0 * u - 1.0);
            if spans.iter().any(|&(a, b)| (a..b).contains(&ms)) {
                let t = i as f32 / rate as f32;
                let syl = if (ms % 220) < 180 { 1.0 } else { 0.1 };
                let tone = |f: f32| (2.0 * std::f32::consts::PI * f * t).sin();
                x += syl * va * (tone(220.0) + tone(700.0) + tone(1500.0));
            }
            x
        })
        .collect()
}

struct Run {
    signals: barge::CallSignals,
    alerts: Vec<Alert>,
    /// (tick, who is talking over whom) whenever overtalk began.
    overtalk: Vec<(u64, Role)>,
}

/// Runs the script through a session of `S` at `rate` with 20 ms frames,
/// through μ-law if `ulaw`.
fn run<S: barge::Sample>(
    rate: u32,
    levels: [(f32, f32); 2],
    ulaw: bool,
    to: fn(f32) -> S,
) -> Result<Run, Error> {
    let format = Format::new(rate, 20)?;
    let mut call = Session::<S>::new(format);
    let customer = call.join(Role::Customer)?;
    let agent = call.join(Role::Agent)?;
    let _boss = call.join(barge::Join::supervisor(barge::Mode::Whisper))?;
    call.enable_signals(
        SignalConfig::new()
            .alert_dead_air(Duration::from_secs(3))
            .alert_monologue(Duration::from_secs(5)),
    )?;
    let mut tracks = [
        voice(CUSTOMER, rate, levels[0].0, levels[0].1, 1),
        voice(AGENT, rate, levels[1].0, levels[1].1, 2),
    ];
    if ulaw {
        for t in &mut tracks {
            let pcm: Vec<i16> = t.iter().map(|&x| i16s(x)).collect();
            let mut codes = vec![0u8; pcm.len()];
            let mut back = vec![0i16; pcm.len()];
            Law::Ulaw.encode(&pcm, &mut codes)?;
            Law::Ulaw.decode(&codes, &mut back)?;
            *t = back.into_iter().map(f32::from).collect();
        }
    }
    let spf = format.samples_per_frame();
    let mut out = Run {
        signals: Default::default(),
        alerts: Vec::new(),
        overtalk: Vec::new(),
    };
    let mut was = None;
    for k in 0..tracks[0].len() / spf {
        let frame = |t: &[f32]| {
            t[k * spf..(k + 1) * spf]
                .iter()
                .map(|&x| to(x))
                .collect::<Vec<S>>()
        };
        call.put_frame(customer, &frame(&tracks[0]))?;
        call.put_frame(agent, &frame(&tracks[1]))?;
        call.mix();
        while let Some(a) = call.poll_alert() {
            out.alerts.push(a);
        }
        let now = call.signals().expect("on").overtalk;
        if let (Some(who), None) = (now, was) {
            out.overtalk.push((call.tick() - 1, who));
        }
        was = now;
    }
    out.signals = *call.signals().expect("on");
    Ok(out)
}

fn i16s(x: f32) -> i16 {
    x.round().clamp(-32768.0, 32767.0) as i16
}

fn f32s(x: f32) -> f32 {
    x / 32768.0
}

fn near(what: &str, got: u64, want: u64, tol: u64) {
    assert!(
        got.abs_diff(want) <= tol,
        "{what}: {got} ms, expected {want} ± {tol} ms"
    );
}

/// `got` within `want - under` and `want + over`.
fn within(what: &str, got: u64, want: u64, under: u64, over: u64) {
    assert!(
        got + under >= want && got <= want + over,
        "{what}: {got} ms, expected {want} ms, less at most {under} or more at most {over}"
    );
}

/// The detector's tail after a span of voice: its hangover (at most 70 ms) and
/// carry (at most 300 ms on a line whose noise sits just over the floor).
const TAIL: u64 = 300;

/// Every signal against the script.
fn check(r: &Run) {
    let s = &r.signals;
    // Talk: the spans' sums (customer 2000 + 1700 + 2400, agent 400 + 6000
    // + 3000), each span up to its tail longer, 20 ms shorter (onset).
    within("customer talk", s.customer.talk_ms, 6100, 60, 3 * TAIL);
    within("agent talk", s.agent.talk_ms, 9400, 60, 3 * TAIL);
    // Turns: the customer's pause of 300 ms does not split its turn.
    assert_eq!(s.customer.turns, 2, "customer turns");
    assert_eq!(s.agent.turns, 3, "agent turns");
    // The "mm-hm" is a backchannel; the cut-in at 18 s an interruption.
    assert_eq!((s.agent.backchannels, s.agent.interruptions), (1, 1));
    assert_eq!((s.customer.backchannels, s.customer.interruptions), (0, 0));
    // The longest monologue: the agent's 6 s.
    assert_eq!(s.longest_monologue().map(|m| m.0), Some(Role::Agent));
    within("longest monologue", s.agent.longest_turn_ms, 6000, 20, TAIL);
    // Dead air: the 4 s, less the hangover; before anyone spoke, 2 s.
    within("longest dead air", s.longest_dead_air_ms, 4000, TAIL, 20);
    near(
        "dead air",
        s.dead_air_total_ms,
        2000 + 4000 + 600 + 1000,
        600,
    );
    // Overtalk: the "mm-hm" (400 ms) and the cut-in (1000 ms).
    within("overtalk", s.overtalk_ms, 1400, 40, 2 * TAIL);
    let who: Vec<Role> = r.overtalk.iter().map(|o| o.1).collect();
    assert_eq!(who, [Role::Agent, Role::Agent], "who started the overtalk");
    // Reply latency: the agent's reply at 6.6 s, 600 ms after the
    // customer; the cut-in is no reply, nor is the "mm-hm".
    assert_eq!(s.replies, 1);
    within(
        "reply latency",
        s.reply_latency_ms.unwrap_or(u64::MAX),
        600,
        TAIL,
        20,
    );
    // The talk ratio: 9400 / 15500.
    let ratio = s.agent_talk_ratio().unwrap();
    assert!((ratio - 0.606).abs() < 0.03, "talk ratio {ratio}");
    // Alerts: the monologue at 6.6 + 5 s, dead air at 12.6 + 3 s (ticks
    // of 20 ms), each once.
    let monologue: Vec<u64> = r
        .alerts
        .iter()
        .filter_map(|a| match a {
            Alert::Monologue {
                tick,
                role: Role::Agent,
                ..
            } => Some(tick * 20),
            _ => None,
        })
        .collect();
    assert_eq!(monologue.len(), 1, "{:?}", r.alerts);
    within("monologue alert", monologue[0], 11600, 40, 20);
    let dead: Vec<u64> = r
        .alerts
        .iter()
        .filter_map(|a| match a {
            Alert::DeadAir { tick, .. } => Some(tick * 20),
            _ => None,
        })
        .collect();
    assert_eq!(dead.len(), 1, "{:?}", r.alerts);
    within("dead air alert", dead[0], 15600, 20, TAIL);
}

#[test]
fn a_scripted_call_at_8_khz_gives_the_scripts_signals() {
    check(&run(8000, [(-30.0, -70.0), (-20.0, -60.0)], false, i16s).unwrap());
}

#[test]
fn a_quiet_headset_and_a_loud_desk_phone_over_noise_both_work() {
    // The customer at -45 dBFS over noise at -60; the agent at -8 dBFS
    // over noise at -28: the same signals.
    check(&run(8000, [(-45.0, -60.0), (-8.0, -28.0)], false, i16s).unwrap());
}

#[test]
fn every_rate_and_both_sample_types_give_the_scripts_signals() {
    for rate in [8000, 16000, 24000, 32000, 48000] {
        check(&run(rate, [(-30.0, -65.0), (-20.0, -55.0)], false, i16s).unwrap());
        check(&run(rate, [(-30.0, -65.0), (-20.0, -55.0)], false, f32s).unwrap());
    }
}

#[test]
fn g711_quantisation_noise_is_no_voice() {
    // Through μ-law: a quiet line whose noise is a few quantisation steps.
    check(&run(8000, [(-35.0, -75.0), (-25.0, -72.0)], true, i16s).unwrap());
}

#[test]
fn settings_out_of_range_are_errors_and_change_nothing() {
    let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    let cases = [
        (
            SignalConfig::new().with_backchannel(Duration::from_millis(50)),
            "with_backchannel",
            50,
        ),
        (
            SignalConfig::new().with_turn_pause(Duration::from_secs(6)),
            "with_turn_pause",
            6000,
        ),
        (
            SignalConfig::new().alert_dead_air(Duration::from_millis(999)),
            "alert_dead_air",
            999,
        ),
        (
            SignalConfig::new().alert_monologue(Duration::ZERO),
            "alert_monologue",
            0,
        ),
        (
            SignalConfig::new().alert_interruptions(0),
            "alert_interruptions",
            0,
        ),
        (
            SignalConfig::new().alert_interruptions(17),
            "alert_interruptions",
            17,
        ),
    ];
    for (config, name, value) in cases {
        let before = call.clone();
        match call.enable_signals(config) {
            Err(Error::SignalSetting { setting, given, .. }) => {
                assert_eq!((setting, given), (name, value));
            }
            other => panic!("{name}: {other:?}"),
        }
        assert!(call == before && call.signals().is_none());
    }
    let e = call
        .enable_signals(SignalConfig::new().alert_interruptions(40))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "call signal setting alert_interruptions of 40: expected 1 to 16 a minute"
    );
    // On, a bad setting keeps the settings and the measures as they were.
    call.enable_signals(SignalConfig::new()).unwrap();
    let before = call.clone();
    assert!(call
        .enable_signals(SignalConfig::new().alert_dead_air(Duration::from_secs(7200)))
        .is_err());
    assert!(call == before);
}

#[test]
fn a_whisper_is_not_the_customers_talk_and_missing_frames_are_silence() {
    let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    let customer = call.join(Role::Customer).unwrap();
    let agent = call.join(Role::Agent).unwrap();
    let boss = call
        .join(barge::Join::supervisor(barge::Mode::Barge))
        .unwrap();
    call.enable_signals(SignalConfig::new()).unwrap();
    let loud = voice(&[(0, END)], 8000, -10.0, -60.0, 3);
    for k in 0..100 {
        // The supervisor talks; the customer hands in nothing, the agent
        // silence.
        call.put_frame(
            boss,
            &loud[k * 160..(k + 1) * 160]
                .iter()
                .map(|&x| i16s(x))
                .collect::<Vec<_>>(),
        )
        .unwrap();
        call.put_frame(agent, &[0; 160]).unwrap();
        call.mix();
    }
    let s = call.signals().unwrap();
    assert_eq!((s.customer.talk_ms, s.agent.talk_ms), (0, 0));
    assert_eq!(s.dead_air_ms, 2000);
    let _ = customer;
}
