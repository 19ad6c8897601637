//! Signal kernels: pure functions over slices of samples, at one rate, with
//! no allocation per frame and no panic. They know nothing of calls,
//! parties or roles.
//!
//! - [`kernel`]: the mixing loops (accumulate wide, saturate once; unity
//!   routes bit-exact), and [`Sample`](kernel::Sample), the two sample
//!   types;
//! - [`g711`]: μ-law and A-law;
//! - [`resample`]: the conversion between a leg's rate and the call's;
//! - [`tone`]: tones, cues and DTMF digits generated sample-accurately;
//! - [`dtmf`]: the detector of DTMF digits in a party's audio;
//! - [`plc`]: packet loss concealment, per leg, at the leg's rate;
//! - [`vad`]: voice activity of a leg, adaptive to its noise floor;
//! - `digit` and `level`: the DTMF keys, and levels in dBm0, that both
//!   of the last two use.

pub(crate) mod digit;
pub mod dtmf;
pub mod g711;
pub mod kernel;
pub(crate) mod level;
pub mod plc;
pub mod resample;
pub mod tone;
pub mod vad;
