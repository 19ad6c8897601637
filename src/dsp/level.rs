//! Levels and sample values: 0 dBm0 (ITU-T G.711's reference level) in
//! `i16` units, and the two sample types read and written in those units,
//! as the tone generator and the DTMF detector do.

use core::any::Any;

use crate::dsp::kernel::Sample;

/// The peak, in `i16` units, of a sine at 0 dBm0: 32768 × 10^(−3.14 / 20).
pub const DBM0_PEAK: f32 = 22_827.057;

pub(crate) fn to_i16(v: f64) -> i16 {
    libm::round(v).clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
}

/// Stores a value in `i16` units into a sample of either type. [`Sample`]
/// is sealed: these are its only two types, and the type test is resolved
/// at compile time.
pub(crate) fn store<S: Sample>(out: &mut S, v: f64) {
    let any: &mut dyn Any = out;
    if let Some(o) = any.downcast_mut::<i16>() {
        *o = to_i16(v);
    } else if let Some(o) = any.downcast_mut::<f32>() {
        *o = (v / 32768.0) as f32;
    }
}

/// A sample of either type in `i16` units, as `f32`: an `f32` sample
/// times 32768, clamped to full scale, and NaN as 0.
pub(crate) fn load<S: Sample>(x: &S) -> f32 {
    let any: &dyn Any = x;
    if let Some(&v) = any.downcast_ref::<i16>() {
        f32::from(v)
    } else if let Some(&v) = any.downcast_ref::<f32>() {
        if v.is_nan() {
            0.0
        } else {
            (v * 32768.0).clamp(-32768.0, 32767.0)
        }
    } else {
        0.0
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    #[allow(clippy::approx_constant)] // 3.14 dB, not π
    fn dbm0_peak_is_the_g711_reference() {
        let p = 32768.0 * libm::pow(10.0, -3.14 / 20.0);
        assert!((f64::from(DBM0_PEAK) - p).abs() < 0.01, "{p}");
    }

    #[test]
    fn load_scales_and_clamps() {
        assert_eq!(load(&-32768i16), -32768.0);
        assert_eq!(load(&0.5f32), 16384.0);
        assert_eq!(load(&f32::NAN), 0.0);
        assert_eq!(load(&f32::INFINITY), 32767.0);
        assert_eq!(load(&f32::NEG_INFINITY), -32768.0);
    }

    #[test]
    fn store_rounds_and_scales() {
        let mut a = 0i16;
        store(&mut a, 100.6);
        assert_eq!(a, 101);
        store(&mut a, 1e9);
        assert_eq!(a, i16::MAX);
        let mut b = 0f32;
        store(&mut b, 16384.0);
        assert_eq!(b, 0.5);
    }
}
