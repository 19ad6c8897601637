//! A benchmark peer for `barge`: the speexdsp resampler, the one every open
//! PBX uses (Asterisk at quality 5, FreeSWITCH at 2; its VoIP preset is 3,
//! its default 4), linked from the system's library (Debian's
//! `libspeexdsp-dev`) through the small C shim in `src/shim.c`.
//!
//! Not published; only `barge`'s benchmarks use it.

#![allow(unsafe_code)]

use core::ffi::{c_int, c_short, c_uint, c_void};

extern "C" {
    fn barge_speex_new(in_rate: c_uint, out_rate: c_uint, quality: c_int) -> *mut c_void;
    fn barge_speex_float(
        st: *mut c_void,
        input: *const f32,
        in_len: *mut c_uint,
        output: *mut f32,
        out_len: *mut c_uint,
    ) -> c_int;
    fn barge_speex_int(
        st: *mut c_void,
        input: *const c_short,
        in_len: *mut c_uint,
        output: *mut c_short,
        out_len: *mut c_uint,
    ) -> c_int;
    fn barge_speex_output_latency(st: *mut c_void) -> c_int;
    fn barge_speex_free(st: *mut c_void);
}

/// One mono speexdsp resampler.
pub struct Speex {
    st: *mut c_void,
    quality: u8,
}

impl Speex {
    /// A resampler from `from` to `to` Hz at `quality` (0–10), or `None`
    /// for a quality above 10 (which Debian's 1.2.1 does not check) or
    /// where speexdsp refuses the arguments.
    pub fn new(from: u32, to: u32, quality: u8) -> Option<Speex> {
        if quality > 10 || from == 0 || to == 0 {
            return None;
        }
        // SAFETY: plain values in; speexdsp returns a state it owns or
        // null (the shim destroys a half-made one).
        let st = unsafe { barge_speex_new(from, to, c_int::from(quality)) };
        (!st.is_null()).then_some(Speex { st, quality })
    }

    /// The quality it was made with.
    pub fn quality(&self) -> u8 {
        self.quality
    }

    /// Converts `input` into `output`; returns (input samples consumed,
    /// output samples written).
    pub fn process_f32(&mut self, input: &[f32], output: &mut [f32]) -> (usize, usize) {
        let mut in_len = c_uint::try_from(input.len()).unwrap();
        let mut out_len = c_uint::try_from(output.len()).unwrap();
        // SAFETY: `st` is live (freed only in Drop); speexdsp reads at most
        // `in_len` samples of `input` and writes at most `out_len` of
        // `output`, both the slices' lengths, and writes back the counts.
        unsafe {
            barge_speex_float(
                self.st,
                input.as_ptr(),
                &mut in_len,
                output.as_mut_ptr(),
                &mut out_len,
            );
        }
        (in_len as usize, out_len as usize)
    }

    /// [`Speex::process_f32`] for `i16` samples.
    pub fn process_i16(&mut self, input: &[i16], output: &mut [i16]) -> (usize, usize) {
        let mut in_len = c_uint::try_from(input.len()).unwrap();
        let mut out_len = c_uint::try_from(output.len()).unwrap();
        // SAFETY: as in `process_f32`.
        unsafe {
            barge_speex_int(
                self.st,
                input.as_ptr(),
                &mut in_len,
                output.as_mut_ptr(),
                &mut out_len,
            );
        }
        (in_len as usize, out_len as usize)
    }

    /// The delay it adds, in output samples.
    pub fn output_latency(&self) -> usize {
        // SAFETY: `st` is live.
        unsafe { barge_speex_output_latency(self.st) as usize }
    }
}

impl Drop for Speex {
    fn drop(&mut self) {
        // SAFETY: `st` came from `barge_speex_new` and is freed once.
        unsafe { barge_speex_free(self.st) }
    }
}

#[cfg(test)]
mod test {
    use super::Speex;

    #[test]
    fn a_10ms_frame_converts_into_a_10ms_frame() {
        for (from, to) in [(8000, 16000), (48000, 8000), (16000, 48000)] {
            let mut s = Speex::new(from, to, 3).unwrap();
            let input = vec![0.25f32; from as usize / 100];
            let mut output = vec![0.0f32; to as usize / 100];
            for _ in 0..5 {
                assert_eq!(
                    s.process_f32(&input, &mut output),
                    (input.len(), output.len())
                );
            }
            assert!(
                (output[0] - 0.25).abs() < 1e-3,
                "{from} → {to}: {}",
                output[0]
            );
        }
    }

    #[test]
    fn a_quality_above_ten_is_refused() {
        assert!(Speex::new(8000, 16000, 11).is_none());
    }
}
