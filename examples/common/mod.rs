//! Code shared by the examples (and by their tests in `tests/examples_*.rs`):
//! synthetic voices, the supervisor's schedule, one call played through a
//! [`barge::Session`], WAV files, and measuring from the output audio who
//! heard whom.

// Each example and test uses only part of this module.
#![allow(dead_code)]

pub mod call;
pub mod cli;
pub mod measure;
pub mod mix_files;
pub mod schedule;
pub mod voice;
pub mod wav;
