//! Formats from numbers: the values telephony and WebRTC media use, and an
//! error that names any other.

use core::time::Duration;

use crate::error::Error;
use crate::format::{Format, Ptime, SampleRate};

impl SampleRate {
    /// The rate for a value in Hz, or [`Error::UnsupportedSampleRate`].
    pub const fn from_hz(hz: u32) -> Result<SampleRate, Error> {
        match hz {
            8000 => Ok(SampleRate::Hz8000),
            16000 => Ok(SampleRate::Hz16000),
            24000 => Ok(SampleRate::Hz24000),
            32000 => Ok(SampleRate::Hz32000),
            48000 => Ok(SampleRate::Hz48000),
            given => Err(Error::UnsupportedSampleRate { given }),
        }
    }
}

impl Ptime {
    /// The frame duration for a value in milliseconds, or
    /// [`Error::UnsupportedPtime`].
    pub const fn from_ms(ms: u32) -> Result<Ptime, Error> {
        match ms {
            10 => Ok(Ptime::Ms10),
            20 => Ok(Ptime::Ms20),
            30 => Ok(Ptime::Ms30),
            40 => Ok(Ptime::Ms40),
            60 => Ok(Ptime::Ms60),
            other => Err(Error::UnsupportedPtime {
                given_us: other as u64 * 1000,
            }),
        }
    }

    /// The frame duration for a [`Duration`], which must be exactly one of
    /// the supported values, or [`Error::UnsupportedPtime`].
    pub fn from_duration(d: Duration) -> Result<Ptime, Error> {
        // A remainder below one microsecond counts as a whole one, so that
        // the error never names a supported duration: 20 ms + 1 ns is not
        // 20 ms.
        let us = d.as_micros() + u128::from(d.subsec_nanos() % 1000 != 0);
        let err = Error::UnsupportedPtime {
            given_us: u64::try_from(us).unwrap_or(u64::MAX),
        };
        if d.subsec_nanos() % 1_000_000 != 0 {
            return Err(err);
        }
        let ms = u32::try_from(d.as_millis()).map_err(|_| err.clone())?;
        Ptime::from_ms(ms).map_err(|_| err)
    }
}

impl Format {
    /// A format from a sample rate in Hz and a frame duration in
    /// milliseconds; an unsupported value of either is an error.
    pub const fn new(rate_hz: u32, ptime_ms: u32) -> Result<Format, Error> {
        let rate = match SampleRate::from_hz(rate_hz) {
            Ok(r) => r,
            Err(e) => return Err(e),
        };
        let ptime = match Ptime::from_ms(ptime_ms) {
            Ok(p) => p,
            Err(e) => return Err(e),
        };
        Ok(Format { rate, ptime })
    }
}

#[cfg(test)]
mod test {

    use super::*;
    use alloc::string::ToString;

    #[test]
    fn unsupported_values_are_errors_naming_the_value() {
        let e = Format::new(44100, 20).unwrap_err();
        assert_eq!(e, Error::UnsupportedSampleRate { given: 44100 });
        assert!(e.to_string().contains("44100"));
        let e = Format::new(8000, 25).unwrap_err();
        assert_eq!(e, Error::UnsupportedPtime { given_us: 25_000 });
        assert!(
            e.to_string()
                .starts_with("unsupported frame duration 25 ms"),
            "{e}"
        );
        let e = Ptime::from_duration(Duration::from_micros(20_500)).unwrap_err();
        assert!(e.to_string().contains("20500 µs"), "{e}");
        assert!(Format::new(0, 0).is_err());
        assert!(Ptime::from_duration(Duration::from_micros(20_500)).is_err());
        assert_eq!(
            Ptime::from_duration(Duration::from_millis(30)),
            Ok(Ptime::Ms30)
        );
        assert!(Ptime::from_duration(Duration::MAX).is_err());
    }
}
