//! Legs in memory: prompts, tests, recordings of bounded length.

use alloc::vec::Vec;

use super::*;
use crate::dsp::kernel::Sample;

/// A source that plays samples it holds: a prompt, hold music, a test
/// signal. It allocates only when built.
///
/// After the last sample it is [`Fill::Ended`] (the last frame is padded
/// with silence), unless built with [`MemorySource::looping`].
#[derive(Debug, Clone)]
pub struct MemorySource<S> {
    samples: Vec<S>,
    position: usize,
    looping: bool,
}

impl<S: Sample> MemorySource<S> {
    /// Plays `samples` once, then ends.
    pub fn new(samples: Vec<S>) -> MemorySource<S> {
        MemorySource {
            samples,
            position: 0,
            looping: false,
        }
    }

    /// Plays `samples` over and over; never ends (an empty one is silence
    /// that never ends).
    pub fn looping(samples: Vec<S>) -> MemorySource<S> {
        MemorySource {
            samples,
            position: 0,
            looping: true,
        }
    }

    /// How many samples have been played (modulo the length when looping).
    pub fn position(&self) -> usize {
        self.position
    }

    /// Whether every sample has been played (never, when looping).
    pub fn is_done(&self) -> bool {
        !self.looping && self.position >= self.samples.len()
    }
}

impl<S: Sample> Source<S> for MemorySource<S> {
    fn fill(&mut self, frame: &mut [S]) -> Fill {
        if self.is_done() {
            return Fill::Ended;
        }
        let mut filled = 0;
        while filled < frame.len() {
            let rest = &self.samples[self.position..];
            let n = rest.len().min(frame.len() - filled);
            frame[filled..filled + n].copy_from_slice(&rest[..n]);
            filled += n;
            self.position += n;
            if self.position == self.samples.len() && self.looping && !self.samples.is_empty() {
                self.position = 0;
            } else if n == 0 || self.position == self.samples.len() {
                break;
            }
        }
        frame[filled..].fill(S::SILENCE);
        Fill::Frame
    }
}

/// A sink that keeps what its party heard, up to a capacity fixed when it
/// is built (so that taking a frame never allocates); what does not fit is
/// counted in [`MemorySink::dropped`].
#[derive(Debug, Clone)]
pub struct MemorySink<S> {
    samples: Vec<S>,
    capacity: usize,
    dropped: u64,
}

impl<S: Sample> MemorySink<S> {
    /// A sink that keeps up to `capacity` samples.
    pub fn with_capacity(capacity: usize) -> MemorySink<S> {
        MemorySink {
            samples: Vec::with_capacity(capacity),
            capacity,
            dropped: 0,
        }
    }

    /// Everything kept so far, oldest first.
    pub fn samples(&self) -> &[S] {
        &self.samples
    }

    /// Samples that did not fit.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Forgets what was kept (keeping the capacity) and the drop count.
    pub fn clear(&mut self) {
        self.samples.clear();
        self.dropped = 0;
    }

    /// The samples kept, as a `Vec`.
    pub fn into_samples(self) -> Vec<S> {
        self.samples
    }
}

impl<S: Sample> Sink<S> for MemorySink<S> {
    fn take(&mut self, frame: &[S]) {
        let room = self.capacity - self.samples.len();
        let n = room.min(frame.len());
        self.samples.extend_from_slice(&frame[..n]);
        self.dropped += (frame.len() - n) as u64;
    }
}
