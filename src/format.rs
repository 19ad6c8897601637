//! Audio formats: sample rate, frame duration (ptime) and samples per frame.
//!
//! Every party of a session speaks the same format: one mono frame of
//! [`Format::samples_per_frame`] samples per tick. Only the combinations that
//! telephony and WebRTC media actually use are accepted, so that any `Format`
//! value that exists is valid.

use core::fmt;
use core::time::Duration;

use crate::Error;

/// A sample rate supported by `barge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SampleRate {
    /// 8 kHz: narrowband telephony (G.711, G.729).
    Hz8000,
    /// 16 kHz: wideband telephony (G.722, SILK/Opus WB).
    Hz16000,
    /// 24 kHz: super-wideband Opus.
    Hz24000,
    /// 32 kHz: super-wideband.
    Hz32000,
    /// 48 kHz: WebRTC and fullband Opus.
    Hz48000,
}

impl SampleRate {
    /// Every supported rate, lowest first.
    pub const ALL: [SampleRate; 5] = [
        SampleRate::Hz8000,
        SampleRate::Hz16000,
        SampleRate::Hz24000,
        SampleRate::Hz32000,
        SampleRate::Hz48000,
    ];

    /// The rate in Hz.
    pub const fn hz(self) -> u32 {
        match self {
            SampleRate::Hz8000 => 8000,
            SampleRate::Hz16000 => 16000,
            SampleRate::Hz24000 => 24000,
            SampleRate::Hz32000 => 32000,
            SampleRate::Hz48000 => 48000,
        }
    }

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

impl fmt::Display for SampleRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} kHz", self.hz() / 1000)
    }
}

/// A frame duration ("ptime" in SDP) supported by `barge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Ptime {
    /// 10 ms: WebRTC's usual Opus frame.
    Ms10,
    /// 20 ms: the RTP default for G.711 and most codecs.
    Ms20,
    /// 30 ms.
    Ms30,
    /// 40 ms.
    Ms40,
    /// 60 ms.
    Ms60,
}

impl Ptime {
    /// Every supported frame duration, shortest first.
    pub const ALL: [Ptime; 5] = [
        Ptime::Ms10,
        Ptime::Ms20,
        Ptime::Ms30,
        Ptime::Ms40,
        Ptime::Ms60,
    ];

    /// The duration in milliseconds.
    pub const fn ms(self) -> u32 {
        match self {
            Ptime::Ms10 => 10,
            Ptime::Ms20 => 20,
            Ptime::Ms30 => 30,
            Ptime::Ms40 => 40,
            Ptime::Ms60 => 60,
        }
    }

    /// The duration.
    pub const fn duration(self) -> Duration {
        Duration::from_millis(self.ms() as u64)
    }

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

impl fmt::Display for Ptime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.ms())
    }
}

/// The audio format of a session: sample rate and frame duration.
///
/// ```
/// use barge::{Format, SampleRate, Ptime};
/// let f = Format::new(8000, 20)?;
/// assert_eq!(f.samples_per_frame(), 160);
/// assert_eq!(f, Format::from_parts(SampleRate::Hz8000, Ptime::Ms20));
/// assert!(Format::new(44100, 20).is_err());
/// # Ok::<(), barge::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Format {
    rate: SampleRate,
    ptime: Ptime,
}

impl Format {
    /// 8 kHz, 20 ms: narrowband RTP (G.711), 160 samples per frame.
    pub const NARROWBAND_20MS: Format = Format::from_parts(SampleRate::Hz8000, Ptime::Ms20);
    /// 48 kHz, 10 ms: WebRTC, 480 samples per frame.
    pub const WEBRTC_10MS: Format = Format::from_parts(SampleRate::Hz48000, Ptime::Ms10);

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

    /// A format from already-validated parts; cannot fail.
    pub const fn from_parts(rate: SampleRate, ptime: Ptime) -> Format {
        Format { rate, ptime }
    }

    /// The sample rate.
    pub const fn rate(self) -> SampleRate {
        self.rate
    }

    /// The frame duration.
    pub const fn ptime(self) -> Ptime {
        self.ptime
    }

    /// Samples in one mono frame: rate × ptime (80 to 2880).
    pub const fn samples_per_frame(self) -> usize {
        (self.rate.hz() / 1000 * self.ptime.ms()) as usize
    }

    /// The number of whole samples in `d` at this rate, rounded to nearest.
    pub fn samples_in(self, d: Duration) -> usize {
        let n = d.as_nanos() * self.rate.hz() as u128;
        usize::try_from((n + 500_000_000) / 1_000_000_000).unwrap_or(usize::MAX)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {}, {} samples per frame",
            self.rate,
            self.ptime,
            self.samples_per_frame()
        )
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn samples_per_frame_is_rate_times_ptime() {
        for rate in SampleRate::ALL {
            for ptime in Ptime::ALL {
                let f = Format::from_parts(rate, ptime);
                assert_eq!(
                    f.samples_per_frame() as u64,
                    rate.hz() as u64 * ptime.ms() as u64 / 1000
                );
                assert_eq!(Format::new(rate.hz(), ptime.ms()), Ok(f));
            }
        }
        assert_eq!(Format::NARROWBAND_20MS.samples_per_frame(), 160);
        assert_eq!(Format::WEBRTC_10MS.samples_per_frame(), 480);
    }

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

    #[test]
    fn samples_in_rounds_to_nearest() {
        let f = Format::NARROWBAND_20MS;
        assert_eq!(f.samples_in(Duration::from_millis(5)), 40);
        assert_eq!(f.samples_in(Duration::from_micros(62)), 0);
        assert_eq!(f.samples_in(Duration::from_micros(63)), 1);
    }
}
