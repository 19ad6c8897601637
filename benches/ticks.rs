//! Ticks of one call, for counting instructions under callgrind
//! (`benches/callgrind.sh` runs it): `ticks SCENARIO N` sets a call up,
//! then runs N of its ticks, each through one `#[inline(never)]` function
//! whose name starts with `measured`, so that callgrind can count those
//! alone (`--toggle-collect`), without the set-up.
//!
//! Scenarios, each an 8 kHz, 20 ms `i16` call past the ramps of its joins,
//! ticked as the `session/...` benches of `mix.rs` tick it (borrowed frames
//! in the parties' order with `mix_frames`, every output read with
//! `outputs`): `two_party`, `monitor`, `whisper`, `barge`, `four` (a
//! whisper and a barge supervisor); `ramp`, the tick right after a
//! supervisor goes from whisper to barge, each on a fresh copy of the call
//! (the copy is not counted); `mode_change`, a supervisor going whisper →
//! barge → whisper, `set_mode` and the two ticks after each change; `pbx`,
//! a `Driver::tick` over three PCMU legs (decode, mix, encode);
//! `whisper_signals`, the whisper call with its call signals on (the
//! `session/whisper_signals/i16/8k20` bench), its alerts drained outside
//! the count.
//!
//! Two more are the calls of `rates/call/{mixed,one_rate}/10ms` in
//! `resample.rs`, a 16 kHz call ticking every 10 ms: `mixed`, its legs at
//! 8, 16 and 48 kHz (four conversions a tick), and `one_rate`, every leg at
//! 16 kHz. And `resample/{from}_{to}/{f32|i16}` (e.g. `resample/8k_16k/i16`)
//! converts one 10 ms frame per tick with a `Resampler`.
use std::hint::black_box;
use std::time::Duration;

use barge::g711::Law;
use barge::media::{Driver, Fill, G711Sink, G711Source, Leg};
use barge::resample::Resampler;
use barge::{Format, Join, Mode, PartyId, Role, SampleRate, Session, SignalConfig};

fn noise(len: usize, seed: u32) -> Vec<i16> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            ((x >> 16) as i16) / 5
        })
        .collect()
}

#[inline(never)]
fn measured_tick(session: &mut Session<i16>, given: &[(PartyId, &[i16])]) {
    session.mix_frames(black_box(given)).unwrap();
    for (_, output) in session.outputs() {
        black_box(output);
    }
}

#[inline(never)]
fn measured_convert_f32(r: &mut Resampler, input: &[f32], output: &mut [f32]) {
    r.process(black_box(input), black_box(output)).unwrap();
}

#[inline(never)]
fn measured_convert_i16(r: &mut Resampler, input: &[i16], output: &mut [i16]) {
    r.process_i16(black_box(input), black_box(output)).unwrap();
}

/// One 10 ms frame per tick through a resampler: `resample/8k_16k/i16`.
fn convert(scenario: &str, n: usize) {
    let parts: Vec<&str> = scenario.split(['/', '_']).collect();
    let hz = |s: &str| -> u32 { s.trim_end_matches('k').parse::<u32>().unwrap() * 1000 };
    let (from, to) = (hz(parts[1]), hz(parts[2]));
    let mut r = Resampler::new(
        SampleRate::from_hz(from).unwrap(),
        SampleRate::from_hz(to).unwrap(),
    );
    let input = noise(from as usize / 100, 1);
    let mut output = vec![0i16; to as usize / 100];
    if parts[3] == "i16" {
        for _ in 0..n {
            measured_convert_i16(&mut r, &input, &mut output);
        }
    } else {
        let input: Vec<f32> = input.iter().map(|&v| f32::from(v) / 32768.0).collect();
        let mut output = vec![0.0f32; output.len()];
        for _ in 0..n {
            measured_convert_f32(&mut r, &input, &mut output);
        }
    }
}

/// The call of `rates/call/{mixed,one_rate}/10ms`: 16 kHz, 10 ms ticks,
/// legs at `legs` Hz.
fn rates_call(legs: [u32; 3], n: usize) {
    let mut s = Session::<i16>::new(Format::new(16000, 10).unwrap());
    let ids = [
        s.join(Role::Customer).unwrap(),
        s.join(Role::Agent).unwrap(),
        s.join(Join::supervisor(Mode::Barge)).unwrap(),
    ];
    for (&id, &hz) in ids.iter().zip(&legs) {
        s.set_leg_format(id, Format::new(hz, 10).unwrap()).unwrap();
    }
    let frames: Vec<Vec<i16>> = legs
        .iter()
        .zip(1..)
        .map(|(&hz, seed)| noise(hz as usize / 100, seed))
        .collect();
    let given: Vec<(PartyId, &[i16])> =
        ids.iter().zip(&frames).map(|(&i, f)| (i, &f[..])).collect();
    for _ in 0..3 {
        s.mix_frames(&given).unwrap();
    }
    while s.poll_event().is_some() {}
    for _ in 0..n {
        measured_tick(&mut s, &given);
    }
}

#[inline(never)]
fn measured_set_mode(session: &mut Session<i16>, id: PartyId, mode: Mode) {
    session.set_mode(black_box(id), mode).unwrap();
}

#[inline(never)]
fn measured_pbx(driver: &mut Driver<i16>, session: &mut Session<i16>, legs: &mut [Leg<'_, i16>]) {
    black_box(driver.tick(session, legs).unwrap());
}

fn call(sups: &[Mode]) -> (Session<i16>, Vec<PartyId>, Vec<Vec<i16>>) {
    let f = Format::NARROWBAND_20MS;
    let mut s = Session::new(f);
    let mut ids = vec![
        s.join(Role::Customer).unwrap(),
        s.join(Role::Agent).unwrap(),
    ];
    for &m in sups {
        ids.push(s.join(Join::supervisor(m)).unwrap());
    }
    let frames: Vec<Vec<i16>> = (0..ids.len()).map(|i| noise(160, i as u32 + 1)).collect();
    for _ in 0..3 {
        let given: Vec<(PartyId, &[i16])> =
            ids.iter().zip(&frames).map(|(&i, f)| (i, &f[..])).collect();
        s.mix_frames(&given).unwrap();
    }
    while s.poll_event().is_some() {}
    (s, ids, frames)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let scenario = args[1].as_str();
    let n: usize = args[2].parse().unwrap();
    match scenario {
        "mixed" => return rates_call([8000, 16000, 48000], n),
        "one_rate" => return rates_call([16000; 3], n),
        _ if scenario.starts_with("resample/") => return convert(scenario, n),
        _ => {}
    }
    let sups: &[Mode] = match scenario {
        "two_party" => &[],
        "monitor" => &[Mode::Monitor],
        "whisper" | "whisper_signals" | "ramp" | "mode_change" => &[Mode::Whisper],
        "barge" | "pbx" => &[Mode::Barge],
        "four" => &[Mode::Whisper, Mode::Barge],
        _ => panic!("scenario"),
    };
    let (mut s, ids, frames) = call(sups);
    let given: Vec<(PartyId, &[i16])> =
        ids.iter().zip(&frames).map(|(&i, f)| (i, &f[..])).collect();
    match scenario {
        "ramp" => {
            let mut changed = s.clone();
            changed.set_mode(ids[2], Mode::Barge).unwrap();
            for _ in 0..n {
                let mut copy = changed.clone();
                measured_tick(&mut copy, &given);
                black_box(&copy);
            }
        }
        "mode_change" => {
            // whisper -> barge -> whisper, two ticks after each change.
            for k in 0..n {
                let m = if k % 2 == 0 {
                    Mode::Barge
                } else {
                    Mode::Whisper
                };
                measured_set_mode(&mut s, ids[2], m);
                measured_tick(&mut s, &given);
                measured_tick(&mut s, &given);
                while s.poll_event().is_some() {}
            }
        }
        "pbx" => {
            let format = Format::NARROWBAND_20MS;
            let payloads: Vec<Vec<u8>> = frames
                .iter()
                .map(|pcm| {
                    let mut codes = vec![0; 160];
                    Law::Ulaw.encode(pcm, &mut codes).unwrap();
                    codes
                })
                .collect();
            let mut sources: Vec<_> = payloads
                .iter()
                .map(|p| {
                    let received = move |payload: &mut [u8]| {
                        payload.copy_from_slice(black_box(&p[..payload.len()]));
                        Fill::Frame
                    };
                    G711Source::new(Law::Ulaw, format, received).unwrap()
                })
                .collect();
            let mut sinks: Vec<_> = (0..3)
                .map(|_| {
                    G711Sink::new(Law::Ulaw, format, |payload: &[u8]| {
                        black_box(payload);
                    })
                    .unwrap()
                })
                .collect();
            let (s0, rest) = sources.split_at_mut(1);
            let (s1, s2) = rest.split_at_mut(1);
            let (k0, rest) = sinks.split_at_mut(1);
            let (k1, k2) = rest.split_at_mut(1);
            let mut legs = [
                Leg::new(ids[0], &mut s0[0], &mut k0[0]),
                Leg::new(ids[1], &mut s1[0], &mut k1[0]),
                Leg::new(ids[2], &mut s2[0], &mut k2[0]),
            ];
            let mut driver = Driver::new(format);
            for _ in 0..2 {
                driver.tick(&mut s, &mut legs).unwrap();
            }
            for _ in 0..n {
                measured_pbx(&mut driver, &mut s, &mut legs);
            }
        }
        "whisper_signals" => {
            let config = SignalConfig::new().alert_dead_air(Duration::from_secs(5));
            s.enable_signals(config).unwrap();
            for _ in 0..n {
                measured_tick(&mut s, &given);
                while s.poll_alert().is_some() {}
            }
        }
        _ => {
            for _ in 0..n {
                measured_tick(&mut s, &given);
            }
        }
    }
}
