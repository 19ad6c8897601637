//! Audio formats: sample rate, frame duration (ptime) and samples per frame.
//!
//! Every party of a session speaks the same format: one mono frame of
//! [`Format::samples_per_frame`] samples per tick. Only the combinations that
//! telephony and WebRTC media actually use are accepted, so that any `Format`
//! value that exists is valid: the constructors that take numbers
//! ([`Format::new`], [`SampleRate::from_hz`], [`Ptime::from_ms`],
//! [`Ptime::from_duration`]) check them (in `format/parse.rs`).

use core::fmt;
use core::time::Duration;

mod parse;

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
    fn samples_in_rounds_to_nearest() {
        let f = Format::NARROWBAND_20MS;
        assert_eq!(f.samples_in(Duration::from_millis(5)), 40);
        assert_eq!(f.samples_in(Duration::from_micros(62)), 0);
        assert_eq!(f.samples_in(Duration::from_micros(63)), 1);
    }
}
