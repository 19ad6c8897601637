//! Hand-written cases of `session_ops`: calls a contact centre makes, run
//! through the same checks as the fuzzer. They are also its seeds:
//! `cargo test --test scenarios -- --ignored write_seeds` writes them to
//! `corpus/session_ops/seed-*`.

use barge_fuzz::session_ops::{
    run, DbArg, FrameArg, Input, LenArg, ModeArg, Op, RampArg, RoleArg, Who,
};

const C: Who = Who(0);
const A: Who = Who(1);
const S: Who = Who(2);

fn tone(seed: u32) -> FrameArg {
    FrameArg {
        len: LenArg::Exact,
        kind: 0,
        bits: (0..16)
            .map(|i| seed.wrapping_mul(2_654_435_761).wrapping_add(i * 40_503))
            .collect(),
    }
}

fn specials() -> FrameArg {
    FrameArg {
        len: LenArg::Exact,
        kind: 2,
        bits: (0..16).collect(),
    }
}

fn all_talk(ops: &mut Vec<Op>, n: u8, seed: u32) {
    for p in 0..n {
        ops.push(Op::Put(Who(p), tone(seed + p as u32)));
    }
    ops.push(Op::Tick);
}

fn call() -> Vec<Op> {
    vec![
        Op::Join(RoleArg::Customer),
        Op::Join(RoleArg::Agent),
        Op::JoinSupervisor(ModeArg::Barge),
    ]
}

/// Barge, whisper, monitor and back, every mode change between talking ticks.
fn mode_tour() -> Vec<Op> {
    let mut ops = call();
    all_talk(&mut ops, 3, 1);
    for (i, m) in [
        ModeArg::Whisper,
        ModeArg::Monitor,
        ModeArg::Barge,
        ModeArg::Whisper,
        ModeArg::Barge,
        ModeArg::Monitor,
    ]
    .into_iter()
    .enumerate()
    {
        ops.push(Op::SetMode(S, m));
        all_talk(&mut ops, 3, 10 + i as u32);
        all_talk(&mut ops, 3, 20 + i as u32);
    }
    ops.push(Op::Query(S, C));
    ops
}

/// Overrides, volumes, ramps, missing frames, a recorder, leaves and joins.
fn host_controls() -> Vec<Op> {
    let mut ops = call();
    ops.push(Op::JoinRecorder(true));
    ops.push(Op::JoinSupervisor(ModeArg::Whisper));
    all_talk(&mut ops, 5, 3);
    ops.push(Op::Override(C, S, DbArg::Tenths(-60)));
    ops.push(Op::SetVolume(A, DbArg::Max));
    ops.push(Op::SetRamp(RampArg::Frame));
    all_talk(&mut ops, 5, 4);
    ops.push(Op::SetMode(S, ModeArg::Whisper));
    ops.push(Op::Override(A, C, DbArg::Muted));
    ops.push(Op::SetRamp(RampArg::Zero));
    all_talk(&mut ops, 5, 5);
    ops.push(Op::Clear(C, S));
    ops.push(Op::SetVolume(A, DbArg::Tenths(-200)));
    ops.push(Op::SetRamp(RampArg::Micros(2500)));
    ops.push(Op::Put(A, tone(6)));
    ops.push(Op::Tick);
    ops.push(Op::Put(S, tone(7)));
    ops.push(Op::Put(Who(4), tone(8)));
    ops.push(Op::Tick);
    ops.push(Op::Leave(A));
    all_talk(&mut ops, 5, 9);
    ops.push(Op::Join(RoleArg::Agent));
    ops.push(Op::SetMode(Who(4), ModeArg::Barge));
    all_talk(&mut ops, 6, 11);
    ops.push(Op::Query(Who(5), C));
    ops
}

/// Every kind of bad input, each between good ticks.
fn bad_input() -> Vec<Op> {
    let mut ops = call();
    all_talk(&mut ops, 3, 12);
    ops.extend([
        Op::Put(
            C,
            FrameArg {
                len: LenArg::Short(0),
                kind: 0,
                bits: vec![1],
            },
        ),
        Op::Put(
            A,
            FrameArg {
                len: LenArg::Long(0),
                kind: 0,
                bits: vec![1],
            },
        ),
        Op::Put(C, tone(1)),
        Op::Put(C, tone(2)),
        Op::FrameMut(C, tone(3)),
        Op::FrameMut(A, tone(3)),
        Op::FrameMut(A, tone(3)),
        Op::SetMode(C, ModeArg::Barge),
        Op::Override(C, C, DbArg::Zero),
        Op::Override(C, S, DbArg::Raw(f32::NAN.to_bits())),
        Op::Override(C, S, DbArg::Raw(f32::INFINITY.to_bits())),
        Op::Override(C, S, DbArg::Tenths(121)),
        Op::SetVolume(S, DbArg::Raw(12.5f32.to_bits())),
        Op::SetRamp(RampArg::FramePlusOne),
        Op::SetRamp(RampArg::Nanos(u64::MAX)),
        Op::Clear(S, S),
        Op::Query(Who(250), Who(251)),
        Op::Tick,
        Op::Leave(A),
        Op::Leave(A),
        Op::Put(A, tone(4)),
        Op::SetVolume(A, DbArg::Zero),
        Op::Override(C, A, DbArg::Zero),
        Op::Query(A, C),
        Op::Tick,
    ]);
    for _ in 0..40 {
        ops.push(Op::JoinSupervisor(ModeArg::Whisper));
    }
    all_talk(&mut ops, 40, 13);
    ops
}

fn case(float: bool, rate: u8, ptime: u8, ops: Vec<Op>) -> Input {
    Input {
        float,
        rate,
        ptime,
        ops,
    }
}

fn cases() -> Vec<(&'static str, Input)> {
    let f32_tour = {
        let mut ops = mode_tour();
        ops.insert(3, Op::Put(S, specials()));
        ops.insert(4, Op::Put(C, specials()));
        ops
    };
    vec![
        ("mode-tour-i16-8k-20ms", case(false, 0, 1, mode_tour())),
        ("mode-tour-f32-48k-10ms", case(true, 196, 0, f32_tour)),
        (
            "host-controls-i16-8k-10ms",
            case(false, 0, 0, host_controls()),
        ),
        (
            "host-controls-f32-24k-60ms",
            case(true, 197, 4, host_controls()),
        ),
        ("bad-input-i16-32k-40ms", case(false, 198, 3, bad_input())),
        ("bad-input-f32-8k-10ms", case(true, 0, 0, bad_input())),
    ]
}

#[test]
fn scenarios_pass_every_check() {
    for (name, input) in cases() {
        let back: Input = arbitrary::Arbitrary::arbitrary_take_rest(arbitrary::Unstructured::new(
            &input.encode(),
        ))
        .unwrap();
        assert_eq!(format!("{back:?}"), format!("{input:?}"), "{name}: codec");
        run(&input);
    }
}

#[test]
#[ignore = "writes the seed corpus; run by hand when the scenarios change"]
fn write_seeds() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/session_ops");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, input) in cases() {
        std::fs::write(dir.join(format!("seed-{name}")), input.encode()).unwrap();
    }
}
