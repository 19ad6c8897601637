//! A benchmark baseline for `barge`: the branchy clamp-on-every-add mixer of
//! classic C media servers, compiled from `src/clamp.c` at `-O2`.
//!
//! Not published; only `barge`'s benchmarks use it.

#![allow(unsafe_code)]

extern "C" {
    fn clamp_c_mix(
        inputs: *const *const i16,
        outputs: *const *mut i16,
        hears: *const u8,
        parties: usize,
        len: usize,
    );
}

/// Mixes `inputs` into `outputs` the C way: `outputs[l]` becomes the sum of
/// every `inputs[t]` with `hears[l][t]`, saturated after every addition.
///
/// Panics if the shapes disagree, so that the C code never reads or writes
/// out of bounds.
pub fn mix<const N: usize>(
    inputs: &[&[i16]; N],
    outputs: &mut [&mut [i16]; N],
    hears: &[[bool; N]; N],
) {
    let len = inputs.first().map_or(0, |i| i.len());
    assert!(inputs.iter().all(|i| i.len() == len));
    assert!(outputs.iter().all(|o| o.len() == len));
    let ins: [*const i16; N] = core::array::from_fn(|t| inputs[t].as_ptr());
    let outs: [*mut i16; N] = core::array::from_fn(|l| outputs[l].as_mut_ptr());
    let mut flags = [[0u8; N]; N];
    for (f, h) in flags.iter_mut().zip(hears) {
        for (f, &h) in f.iter_mut().zip(h) {
            *f = h as u8;
        }
    }
    // SAFETY: every pointer comes from a live slice of `len` samples (checked
    // above), the outputs are distinct `&mut` borrows so they alias nothing,
    // and `flags` holds N * N bytes.
    unsafe { clamp_c_mix(ins.as_ptr(), outs.as_ptr(), flags.as_ptr().cast(), N, len) }
}

#[cfg(test)]
mod test {
    #[test]
    fn clamps_after_every_add() {
        let a = [30000i16; 4];
        let b = [30000i16; 4];
        let c = [-30000i16; 4];
        let d = [0i16; 4];
        let mut o = [[9i16; 4]; 4];
        let [o0, o1, o2, o3] = &mut o;
        let hears = [
            [false, true, true, true],
            [true, false, true, true],
            [true, true, false, true],
            [true, true, true, false],
        ];
        super::mix(&[&a, &b, &c, &d], &mut [o0, o1, o2, o3], &hears);
        assert_eq!(
            o[3], [2767; 4],
            "30000 + 30000 clamps to 32767, then -30000"
        );
        assert_eq!(o[2], [i16::MAX; 4]);
        assert_eq!(o[0], [0; 4]);
    }
}
