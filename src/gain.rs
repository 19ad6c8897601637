//! Gains: party volumes and route gains, in dB from muted up to +12 dB.

use core::fmt;

use crate::error::Error;

/// A linear gain between muted (0.0) and +12 dB (about 3.98), always valid.
///
/// Build one from dB with [`Gain::from_db`]; `f32::NEG_INFINITY` dB is muted.
/// The gain applied on one route (the talker's volume times the route's
/// gain) is capped at [`Gain::MAX_DB`] as a whole.
///
/// ```
/// use barge::Gain;
/// assert_eq!(Gain::from_db(0.0)?, Gain::UNITY);
/// assert_eq!(Gain::from_db(f32::NEG_INFINITY)?, Gain::MUTED);
/// assert!((Gain::from_db(-6.0)?.linear() - 0.501).abs() < 1e-3);
/// assert!(Gain::from_db(13.0).is_err());
/// # Ok::<(), barge::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, PartialOrd)]
pub struct Gain(f32);

impl Gain {
    /// The largest gain accepted, in dB.
    pub const MAX_DB: f32 = 12.0;
    /// Unity: 0 dB, the default of every volume and route. Bit-exact.
    pub const UNITY: Gain = Gain(1.0);
    /// Muted: -inf dB.
    pub const MUTED: Gain = Gain(0.0);
    /// +12 dB as a linear factor.
    pub const MAX: Gain = Gain(3.981_071_8);

    /// A gain from dB: `f32::NEG_INFINITY` (muted) or finite up to
    /// [`Gain::MAX_DB`]; NaN, +inf and anything louder is
    /// [`Error::GainOutOfRange`].
    pub fn from_db(db: f32) -> Result<Gain, Error> {
        if db == f32::NEG_INFINITY {
            return Ok(Gain::MUTED);
        }
        if !db.is_finite() || db > Gain::MAX_DB {
            return Err(Error::GainOutOfRange {
                given_db: db,
                max_db: Gain::MAX_DB,
            });
        }
        if db == 0.0 {
            return Ok(Gain::UNITY);
        }
        if db == Gain::MAX_DB {
            return Ok(Gain::MAX);
        }
        Ok(Gain(libm::powf(10.0, db / 20.0)))
    }

    /// A gain from a linear factor in `0.0..=`[`Gain::MAX`]; anything else
    /// (negative, NaN, louder than +12 dB) is
    /// [`Error::LinearGainOutOfRange`].
    pub fn from_linear(linear: f32) -> Result<Gain, Error> {
        if (0.0..=Gain::MAX.0).contains(&linear) {
            Ok(Gain(linear))
        } else {
            Err(Error::LinearGainOutOfRange {
                given: linear,
                max: Gain::MAX.0,
            })
        }
    }

    /// The linear factor.
    pub const fn linear(self) -> f32 {
        self.0
    }

    /// The gain in dB; muted is `f32::NEG_INFINITY`.
    pub fn db(self) -> f32 {
        if self.0 == 1.0 {
            0.0
        } else {
            20.0 * libm::log10f(self.0)
        }
    }

    /// Whether this gain silences the route.
    pub fn is_muted(self) -> bool {
        self.0 == 0.0
    }

    /// The product of two gains, capped at [`Gain::MAX`]. Unity times `g`
    /// is exactly `g`.
    pub fn then(self, other: Gain) -> Gain {
        Gain((self.0 * other.0).min(Gain::MAX.0))
    }
}

impl Default for Gain {
    fn default() -> Gain {
        Gain::UNITY
    }
}

impl fmt::Debug for Gain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Gain({} dB)", self.db())
    }
}

impl fmt::Display for Gain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_muted() {
            f.write_str("muted")
        } else {
            write!(f, "{:+.1} dB", self.db())
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn db_round_trips_within_a_hundredth() {
        for tenth in -600..=120 {
            let db = tenth as f32 / 10.0;
            let g = Gain::from_db(db).unwrap();
            assert!(
                (g.db() - db).abs() < 0.01,
                "{db} dB came back as {}",
                g.db()
            );
        }
    }

    #[test]
    fn out_of_range_is_an_error_naming_the_value() {
        for bad in [12.01, 40.0, f32::INFINITY, f32::NAN] {
            let e = Gain::from_db(bad).unwrap_err();
            assert!(matches!(e, Error::GainOutOfRange { .. }));
            assert!(e.to_string().contains("+12 dB"), "{e}");
        }
        assert!(Gain::from_db(12.01)
            .unwrap_err()
            .to_string()
            .contains("12.01"));
        for bad in [-0.5, 4.5, f32::INFINITY] {
            let e = Gain::from_linear(bad).unwrap_err();
            assert_eq!(
                e,
                Error::LinearGainOutOfRange {
                    given: bad,
                    max: Gain::MAX.0
                }
            );
            let msg = e.to_string();
            assert!(
                msg.contains(&bad.to_string()) && msg.contains("3.98"),
                "{msg}"
            );
        }
        assert!(Gain::from_linear(f32::NAN)
            .unwrap_err()
            .to_string()
            .contains("NaN"));
        assert_eq!(Gain::from_linear(1.0), Ok(Gain::UNITY));
    }

    #[test]
    fn products_cap_at_plus_twelve_db() {
        assert_eq!(Gain::MAX.then(Gain::MAX), Gain::MAX);
        let half = Gain::from_db(-6.0).unwrap();
        assert_eq!(Gain::UNITY.then(half), half);
        assert_eq!(half.then(Gain::MUTED), Gain::MUTED);
    }
}

/// A gain or none, in the four bytes of a gain (`Option<Gain>` takes
/// eight): a NaN, which no gain is, stands for none. A route keeps the
/// host's route gain so, which keeps a route's state in 32 bytes.
#[derive(Clone, Copy)]
pub(crate) struct MaybeGain(f32);

impl MaybeGain {
    /// No gain.
    pub(crate) const NONE: MaybeGain = MaybeGain(f32::NAN);

    /// `gain`.
    pub(crate) const fn some(gain: Gain) -> MaybeGain {
        MaybeGain(gain.0)
    }

    /// The gain, if any.
    #[inline(always)]
    pub(crate) fn get(self) -> Option<Gain> {
        (!self.0.is_nan()).then_some(Gain(self.0))
    }
}

impl PartialEq for MaybeGain {
    fn eq(&self, other: &MaybeGain) -> bool {
        self.get() == other.get()
    }
}

impl fmt::Debug for MaybeGain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

#[cfg(test)]
mod maybe_gain {
    use super::*;

    #[test]
    fn holds_every_gain_or_none() {
        assert_eq!(MaybeGain::NONE.get(), None);
        assert_eq!(core::mem::size_of::<MaybeGain>(), 4);
        for db in [-120.0, -6.0, 0.0, 0.5, Gain::MAX_DB] {
            let g = Gain::from_db(db).unwrap();
            assert_eq!(MaybeGain::some(g).get(), Some(g));
            assert!(MaybeGain::some(g) != MaybeGain::NONE);
        }
        let muted = MaybeGain::some(Gain::MUTED);
        assert_eq!(muted.get(), Some(Gain::MUTED));
        assert!(muted == MaybeGain::some(Gain::MUTED) && MaybeGain::NONE == MaybeGain::NONE);
    }
}
