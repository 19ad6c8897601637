//! What a stage reads: its input streams, each after its history, in one
//! buffer.
//!
//! Each stream has room for its history and several passes. A pass writes
//! its new samples after the history and reads the history and them
//! together; the next pass's history is then the last samples of this one,
//! already in place just before where the next pass writes. Only when the
//! room left would not hold a pass is the history copied back to the front
//! of the room: once every few frames, not once a frame.

use alloc::vec;
use alloc::vec::Vec;

use super::MAX_SPLIT;

/// Passes of the longest length a stream has room for, beside its
/// history: the history of a stream fed 10 ms frames (from a twelfth of
/// the longest pass at 8 kHz to half of it at 48 kHz) moves once in every
/// 24 to 4 frames; fed passes of the longest length, every other pass.
const ROOM: usize = 2;

/// `count` streams, each `history` samples of history then the samples
/// of the pass under way.
pub(super) struct Streams {
    /// Stream `q` is `buf[q × stride..(q + 1) × stride]`; its history
    /// starts at `at` in it.
    buf: Vec<f32>,
    count: usize,
    stride: usize,
    history: usize,
    at: usize,
}

impl Clone for Streams {
    fn clone(&self) -> Streams {
        Streams {
            buf: self.buf.clone(),
            count: self.count,
            stride: self.stride,
            history: self.history,
            at: self.at,
        }
    }

    /// Into streams of the same shape, only the histories are copied (to
    /// the front of each stream's room): the rest of the room is written
    /// by each pass before it is read.
    fn clone_from(&mut self, source: &Streams) {
        if !self.same_shape(source) || self.buf.len() != source.buf.len() {
            *self = source.clone();
            return;
        }
        let (stride, history) = (self.stride, self.history);
        for q in 0..self.count {
            let from = q * stride + source.at;
            self.buf[q * stride..q * stride + history]
                .copy_from_slice(&source.buf[from..from + history]);
        }
        self.at = 0;
    }
}

impl Streams {
    /// `count` streams of silence with `history` samples of history,
    /// taking up to `max_new` new samples each a pass.
    pub(super) fn new(count: usize, history: usize, max_new: usize) -> Streams {
        let stride = history + ROOM * max_new;
        Streams {
            buf: vec![0.0; count * stride],
            count,
            stride,
            history,
            at: 0,
        }
    }

    /// How many streams.
    pub(super) fn count(&self) -> usize {
        self.count
    }

    /// Whether `other` has as many streams, as much history and room.
    pub(super) fn same_shape(&self, other: &Streams) -> bool {
        (self.count, self.stride, self.history) == (other.count, other.stride, other.history)
    }

    /// Where the `n` new samples of each stream of a pass go: right after
    /// its history, which moves to the front of its room first if there is
    /// not room for them after it.
    #[inline(always)]
    pub(super) fn inputs(&mut self, n: usize) -> [&mut [f32]; MAX_SPLIT] {
        let (stride, history) = (self.stride, self.history);
        if self.at + history + n > stride {
            for q in 0..self.count {
                let from = q * stride + self.at;
                self.buf.copy_within(from..from + history, q * stride);
            }
            self.at = 0;
        }
        let at = self.at + history;
        let mut slots: [&mut [f32]; MAX_SPLIT] = Default::default();
        let mut rest = &mut self.buf[..];
        for slot in slots.iter_mut().take(self.count) {
            let (stream, after) = rest.split_at_mut(stride.min(rest.len()));
            *slot = stream.get_mut(at..at + n).unwrap_or_default();
            rest = after;
        }
        slots
    }

    /// Stream `q`: its history, then the `n` new samples of the pass.
    #[inline(always)]
    pub(super) fn stream(&self, q: usize, n: usize) -> &[f32] {
        let from = q * self.stride + self.at;
        &self.buf[from..from + self.history + n]
    }

    /// All of the buffer, and where stream `q`'s history starts in it:
    /// `q × stride + at`, as `(stride, at)`.
    #[inline(always)]
    pub(super) fn all(&self) -> (&[f32], usize, usize) {
        (&self.buf, self.stride, self.at)
    }

    /// After a pass of `n` samples per stream: the history is its last
    /// `history` samples, where they are.
    #[inline(always)]
    pub(super) fn advance(&mut self, n: usize) {
        self.at += n;
    }

    /// Each stream's history: what the next pass depends on beside the
    /// taps.
    pub(super) fn histories(&self) -> impl Iterator<Item = &[f32]> + '_ {
        (0..self.count).map(move |q| {
            let from = q * self.stride + self.at;
            self.buf.get(from..from + self.history).unwrap_or(&[])
        })
    }

    /// Silence for history.
    pub(super) fn reset(&mut self) {
        self.buf.fill(0.0);
        self.at = 0;
    }
}
