use super::*;

#[test]
fn sums_wide_and_saturates_once() {
    let a = [30000i16; 100];
    let b = [30000i16; 100];
    let c = [-30000i16; 100];
    let mut out = [0i16; 100];
    let u = RouteGain::UNITY;
    let clipped = mix(
        &mut out,
        &[Talker::new(&a, u), Talker::new(&b, u), Talker::new(&c, u)],
    )
    .unwrap();
    assert_eq!(out, [30000; 100], "a saturating adder would give 2767");
    assert_eq!(clipped, 0);
    mix(&mut out, &[Talker::new(&a, u), Talker::new(&b, u)]).unwrap();
    assert_eq!(out, [i16::MAX; 100]);
}

#[test]
fn unity_is_bit_exact_for_every_i16() {
    let all: [i16; 65536] = core::array::from_fn(|i| (i as i32 - 32768) as i16);
    let mut out = [0i16; 65536];
    mix(&mut out, &[Talker::new(&all, RouteGain::UNITY)]).unwrap();
    assert_eq!(out, all);
}

#[test]
fn muted_talkers_and_no_talkers_are_silence() {
    let a = [123i16; 64];
    let mut out = [7i16; 64];
    mix::<i16>(&mut out, &[]).unwrap();
    assert_eq!(out, [0; 64]);
    out = [7; 64];
    mix(&mut out, &[Talker::new(&a, RouteGain::MUTED)]).unwrap();
    assert_eq!(out, [0; 64]);
}

#[test]
fn a_ramp_moves_linearly_then_holds() {
    let a = [16384i16; 160];
    let mut out = [0i16; 160];
    let g = RouteGain::ramp(Gain::MUTED, Gain::UNITY, 40);
    mix(&mut out, &[Talker::new(&a, g)]).unwrap();
    assert_eq!(out[0], 16384 / 40);
    assert_eq!(out[19], 16384 / 2);
    for w in out[..40].windows(2) {
        assert!(w[0] < w[1], "ramp must rise every sample: {w:?}");
    }
    assert!(out[39..].iter().all(|&s| s == 16384));
}

#[test]
fn length_mismatch_is_an_error_and_writes_nothing() {
    let a = [1i16; 159];
    let mut out = [9i16; 160];
    let e = mix(&mut out, &[Talker::new(&a, RouteGain::UNITY)]).unwrap_err();
    assert_eq!(
        e,
        Error::MatrixShape {
            what: "samples in a talker's frame",
            given: 159,
            expected: 160
        }
    );
    assert_eq!(out, [9; 160]);
}

#[test]
fn f32_non_finite_is_replaced_and_outputs_clamp() {
    let mut x = [0.5f32, f32::NAN, f32::INFINITY, f32::NEG_INFINITY];
    assert_eq!(<f32 as private::Kernel>::sanitize(&mut x), 3);
    assert_eq!(x, [0.5, 0.0, 0.0, 0.0]);
    let a = [0.75f32; 4];
    let mut out = [0.0f32; 4];
    let clipped = mix(
        &mut out,
        &[
            Talker::new(&a, RouteGain::UNITY),
            Talker::new(&a, RouteGain::UNITY),
        ],
    )
    .unwrap();
    assert_eq!((out, clipped), ([1.0; 4], 4));
    let huge = [f32::MAX; 4];
    let neg = [-f32::MAX; 4];
    let g = RouteGain::steady(Gain::MAX);
    mix(&mut out, &[Talker::new(&huge, g), Talker::new(&neg, g)]).unwrap();
    assert!(out.iter().all(|s| s.is_finite()));
}

#[test]
fn matrix_checks_shapes_first() {
    let a = [1i16; 8];
    let mut o1 = [5i16; 8];
    let mut o2 = [5i16; 7];
    let g = [Gain::UNITY; 2];
    assert!(mix_matrix(&[&a], &g, &mut [&mut o1, &mut o2]).is_err());
    assert_eq!(o1, [5; 8]);
    let mut o3 = [5i16; 8];
    assert!(mix_matrix(&[&a], &g[..1], &mut [&mut o1, &mut o3]).is_err());
    assert_eq!((o1, o3), ([5; 8], [5; 8]));
}

mod fast_paths {
    //! The one-pass sums and the split ramp tick give exactly what the
    //! general accumulator path gives.
    use super::super::*;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    fn gain() -> impl Strategy<Value = Gain> {
        prop_oneof![
            3 => Just(Gain::UNITY),
            2 => Just(Gain::MUTED),
            1 => Just(Gain::MAX),
            1 => (0.0f32..=3.98).prop_map(|g| Gain::from_linear(g).unwrap()),
            // Rounds to unity in fixed point without being 1.0.
            1 => Just(Gain::from_linear(1.000_01).unwrap()),
        ]
    }

    fn route() -> impl Strategy<Value = RouteGain> {
        prop_oneof![
            3 => gain().prop_map(RouteGain::steady),
            2 => (gain(), gain(), prop_oneof![Just(0usize), Just(1), Just(40), 0usize..500])
                .prop_map(|(a, b, r)| RouteGain::ramp(a, b, r)),
        ]
    }

    fn i16_sample() -> impl Strategy<Value = i16> + Clone {
        prop_oneof![
            4 => any::<i16>(),
            2 => -16384i16..16384,
            1 => Just(i16::MAX),
            1 => Just(i16::MIN),
            1 => Just(0),
        ]
    }

    fn f32_sample() -> impl Strategy<Value = f32> + Clone {
        prop_oneof![
            4 => -1.0f32..=1.0,
            2 => -0.5f32..0.5,
            1 => Just(-0.0f32),
            1 => Just(f32::NAN),
            1 => Just(f32::INFINITY),
            1 => Just(f32::NEG_INFINITY),
            1 => Just(f32::MAX),
            1 => any::<f32>(),
        ]
    }

    fn case<S: core::fmt::Debug + Clone>(
        sample: impl Strategy<Value = S> + Clone,
    ) -> impl Strategy<Value = (Vec<Vec<S>>, Vec<RouteGain>)> {
        (1usize..300, 0usize..5).prop_flat_map(move |(len, n)| {
            (
                proptest::collection::vec(proptest::collection::vec(sample.clone(), len), n),
                proptest::collection::vec(route(), n),
            )
        })
    }

    fn same<S: Sample>(frames: &[Vec<S>], gains: &[RouteGain], bits: impl Fn(S) -> u32) {
        let len = frames.first().map_or(7, Vec::len);
        let talker = |i: usize| Talker::new(&frames[i][..], gains[i]);
        let mut fast = alloc::vec![S::SILENCE; len];
        let mut general = alloc::vec![S::SILENCE; len];
        let a = mix_with(&mut fast, frames.len(), talker);
        let b = mix_general(&mut general, frames.len(), talker);
        let fast: Vec<u32> = fast.into_iter().map(&bits).collect();
        let general: Vec<u32> = general.into_iter().map(&bits).collect();
        assert_eq!((fast, a), (general, b));
    }

    /// A ramp head: one talker ramping, others steady (at unity, muted
    /// or silent, or anything), in any order.
    fn head_case<S: core::fmt::Debug + Clone>(
        sample: impl Strategy<Value = S> + Clone,
    ) -> impl Strategy<Value = (Vec<Vec<S>>, Vec<RouteGain>)> {
        let lengths = || prop_oneof![Just(1usize), Just(40), 1usize..400];
        let ramping = prop_oneof![
            3 => (gain(), gain(), lengths()).prop_map(|(a, b, r)| RouteGain::ramp(a, b, r)),
            // A route that opens: the ramp whose gains a table holds.
            1 => lengths().prop_map(|r| RouteGain::ramp(Gain::MUTED, Gain::UNITY, r)),
        ];
        let other = prop_oneof![
            4 => Just(RouteGain::UNITY),
            1 => Just(RouteGain::MUTED),
            1 => Just(RouteGain::ramp(Gain::MUTED, Gain::MUTED, 40)),
            1 => Just(RouteGain::ramp(Gain::UNITY, Gain::UNITY, 40)),
            1 => route(),
        ];
        (
            1usize..300,
            ramping,
            proptest::collection::vec(other, 0..3),
            0usize..3,
        )
            .prop_flat_map(move |(len, ramping, mut gains, at)| {
                gains.insert(at.min(gains.len()), ramping);
                (
                    proptest::collection::vec(
                        proptest::collection::vec(sample.clone(), len),
                        gains.len(),
                    ),
                    Just(gains),
                )
            })
    }

    fn same_head<S: Sample>(frames: &[Vec<S>], gains: &[RouteGain], bits: impl Fn(S) -> u32) {
        let len = frames.first().map_or(7, Vec::len);
        let talker = |i: usize| Talker::new(&frames[i][..], gains[i]);
        let mut head = alloc::vec![S::SILENCE; len];
        let mut general = alloc::vec![S::SILENCE; len];
        let a = mix_head(&mut head, frames.len(), talker, &[]);
        let b = mix_general(&mut general, frames.len(), talker);
        // With the table of a ramp that opens over the ramp's samples:
        // read where the ramp is one, ignored where not.
        let ramp = gains
            .iter()
            .find(|g| g.from != g.to && g.ramp > 0)
            .map_or(0, |g| g.ramp.min(len));
        let mut open = alloc::vec![S::kgain(0.0); ramp];
        open_gains::<S>(&mut open);
        let mut read = alloc::vec![S::SILENCE; len];
        let c = mix_head(&mut read, frames.len(), talker, &open);
        let head: Vec<u32> = head.into_iter().map(&bits).collect();
        let read: Vec<u32> = read.into_iter().map(&bits).collect();
        let general: Vec<u32> = general.into_iter().map(&bits).collect();
        assert_eq!((&read, c), (&general, b), "with the table");
        assert_eq!((head, a), (general, b));
    }

    fn same_three<S: Sample>(x: &[S], hears: [[bool; 2]; 3], bits: impl Fn(S) -> u32) {
        let len = x.len() / 3;
        let mut fused = alloc::vec![S::SILENCE; 3 * len];
        let clipped = S::mix3(
            &mut fused,
            [&x[..len], &x[len..2 * len], &x[2 * len..3 * len]],
            hears,
        );
        let others = [[1, 2], [0, 2], [0, 1]];
        for l in 0..3 {
            let frame = |t: usize| &x[t * len..(t + 1) * len];
            let heard: Vec<&[S]> = (0..2)
                .filter(|&k| hears[l][k])
                .map(|k| frame(others[l][k]))
                .collect();
            let mut one = alloc::vec![S::SILENCE; len];
            let c = mix_unity(&mut one, &heard);
            let got: Vec<u32> = fused[l * len..(l + 1) * len]
                .iter()
                .map(|&s| bits(s))
                .collect();
            let want: Vec<u32> = one.into_iter().map(&bits).collect();
            assert_eq!((got, clipped[l]), (want, c), "listener {l}");
        }
    }

    /// The four-party pass against the accumulator, listener by
    /// listener: bit `4 * l + t` of `hears` says whether `l` hears `t`.
    fn same_four(x: &[i16], hears: u16) {
        let len = x.len() / 4;
        let frame = |t: usize| &x[t * len..(t + 1) * len];
        let mut fused = alloc::vec![7i16; 4 * len];
        let clipped = mix_four(&mut fused, [frame(0), frame(1), frame(2), frame(3)], hears)
            .expect("i16 has a four-party pass");
        for l in 0..4 {
            let mut one = alloc::vec![0i16; len];
            let c = mix_general(&mut one, 4, |t| {
                let heard = t != l && hears & (1 << (4 * l + t)) != 0;
                let gain = if heard {
                    RouteGain::UNITY
                } else {
                    RouteGain::MUTED
                };
                Talker::new(frame(t), gain)
            });
            assert_eq!(
                (&fused[l * len..(l + 1) * len], clipped[l]),
                (&one[..], c),
                "listener {l}, hears {hears:#06x}"
            );
        }
    }

    proptest! {
        #[test]
        fn i16_four_party_pass_matches_the_accumulator(
            x in (0usize..200, 0usize..3).prop_flat_map(|(len, level)| {
                // Within a quarter of full scale, anything, or loud.
                let sample = match level {
                    0 => (-8192i16..8192).boxed(),
                    1 => i16_sample().boxed(),
                    _ => prop_oneof![-32768i16..-8000, 8000i16..=32767].boxed(),
                };
                proptest::collection::vec(sample, 4 * len)
            }),
            hears in prop_oneof![
                any::<u16>(),
                // A pattern with a loop of its own, with any diagonal.
                (proptest::sample::select(FOUR_PATTERNS), any::<u16>())
                    .prop_map(|(p, d)| p | (d & 0x8421)),
            ],
        ) {
            same_four(&x, hears);
        }

        #[test]
        fn i16_fast_paths_match_the_accumulator((frames, gains) in case(i16_sample())) {
            same(&frames, &gains, |s: i16| s as u16 as u32);
        }

        #[test]
        fn f32_fast_paths_match_the_accumulator((frames, gains) in case(f32_sample())) {
            same(&frames, &gains, f32::to_bits);
        }

        #[test]
        fn i16_ramp_heads_match_the_accumulator((frames, gains) in head_case(i16_sample())) {
            same_head(&frames, &gains, |s: i16| s as u16 as u32);
        }

        #[test]
        fn f32_ramp_heads_match_the_accumulator((frames, gains) in head_case(f32_sample())) {
            same_head(&frames, &gains, f32::to_bits);
        }

        #[test]
        fn any_heads_match_the_accumulator((frames, gains) in case(i16_sample())) {
            same_head(&frames, &gains, |s: i16| s as u16 as u32);
        }

        #[test]
        fn i16_three_talkers_near_a_quarter_of_full_scale_match_the_accumulator(
            frames in (1usize..200, prop_oneof![1i16..=8193, 8193i16..=16384])
                .prop_flat_map(|(len, a)| {
                // Within a quarter of full scale, just beyond it, or
                // loud enough that three clip.
                let sample = prop_oneof![
                    8 => -a..a,
                    1 => Just(8192i16),
                    1 => Just(-8193i16),
                    1 => Just(-8192i16),
                    1 => Just(8191i16),
                    1 => Just(a),
                ];
                proptest::collection::vec(proptest::collection::vec(sample, len), 3)
            }),
        ) {
            same(&frames, &[RouteGain::UNITY; 3], |s: i16| s as u16 as u32);
        }

        #[test]
        fn i16_three_party_pass_matches_listener_by_listener(
            x in proptest::collection::vec(i16_sample(), 0..600),
            hears in any::<[[bool; 2]; 3]>(),
        ) {
            same_three(&x, hears, |s: i16| s as u16 as u32);
        }

        #[test]
        fn i16_three_party_pass_counts_clips_at_every_level(
            x in (prop_oneof![Just(16383i16), Just(16384), 16385i16..i16::MAX], 0usize..3)
                .prop_flat_map(|(a, sign)| {
                    // Both signs, or loud one way only.
                    let (lo, hi) = [(-a, a), (0, a), (-a - 1, 0)][sign];
                    proptest::collection::vec(lo..=hi, 0..60)
                }),
            hears in any::<[[bool; 2]; 3]>(),
        ) {
            same_three(&x, hears, |s: i16| s as u16 as u32);
        }

        #[test]
        fn f32_three_party_pass_counts_clips_at_every_level(
            x in (prop_oneof![Just(0.499_999_97f32), Just(0.5), 0.5f32..1.0], 0usize..3)
                .prop_flat_map(|(a, sign)| {
                    let (lo, hi) = [(-a, a), (0.0, a), (-a, 0.0)][sign];
                    proptest::collection::vec(lo..=hi, 0..60)
                }),
            hears in any::<[[bool; 2]; 3]>(),
        ) {
            same_three(&x, hears, f32::to_bits);
        }

        #[test]
        fn f32_three_party_pass_matches_listener_by_listener(
            x in proptest::collection::vec(f32_sample(), 0..600),
            hears in any::<[[bool; 2]; 3]>(),
        ) {
            same_three(&x, hears, f32::to_bits);
        }
    }

    proptest! {
        #[test]
        fn i16_ramps_follow_the_documented_formula(
            from in 0i32..=65224,
            to in 0i32..=65224,
            len in 1usize..=2880,
            first in 0usize..2880,
            x in proptest::collection::vec(any::<i16>(), 1..64),
        ) {
            let mut acc = alloc::vec![0i32; x.len()];
            <i16 as private::Kernel>::add_ramp(&mut acc, &x, from, to, first, len);
            for (i, (&a, &s)) in acc.iter().zip(&x).enumerate() {
                let k = (first + i + 1) as i64;
                let len = len as i64;
                let g = if k >= len {
                    to as i64
                } else {
                    from as i64 + (to - from) as i64 * k / len
                };
                let want = (s as i64 * g + 8192) >> 14;
                prop_assert_eq!(a as i64, want, "sample {}", i);
            }
        }
    }

    #[test]
    fn i16_ramp_gains_are_exact_for_every_ramp_length() {
        // At x = 16384 a sample adds its gain itself: check every gain of
        // every ramp a frame can hold against the integer formula.
        let x = [16384i16; 2880];
        let mut acc = [0i32; 2880];
        for (from, to) in [(0, 65224), (65224, 1), (16384, 0), (3, 40003)] {
            for len in 1..=2880usize {
                acc[..len].fill(0);
                <i16 as private::Kernel>::add_ramp(&mut acc[..len], &x, from, to, 0, len);
                for (i, &g) in acc[..len].iter().enumerate() {
                    let k = (i + 1) as i32;
                    let want = if k >= len as i32 {
                        to
                    } else {
                        from + (to - from) * k / len as i32
                    };
                    assert_eq!(g, want, "from {from} to {to}, ramp {len}, sample {i}");
                }
            }
        }
    }

    #[test]
    fn unity_listener_by_listener_matches_the_accumulator() {
        // mix_unity itself against the general path, at the edges.
        let a = [i16::MAX, i16::MIN, -1, 16384, -16385, 0];
        let b = [1, -1, i16::MIN, 16384, -16384, 0];
        same(
            &[a.to_vec(), b.to_vec()],
            &[RouteGain::UNITY; 2],
            |s: i16| s as u16 as u32,
        );
        let f = [-0.0f32, 0.75, f32::NAN, -0.0];
        let g = [-0.0f32, 0.5, 1.0, 0.0];
        same(
            &[f.to_vec(), g.to_vec()],
            &[RouteGain::UNITY; 2],
            f32::to_bits,
        );
        same(&[f.to_vec()], &[RouteGain::UNITY], f32::to_bits);
    }
}
