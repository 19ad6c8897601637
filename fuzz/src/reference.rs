//! A slow reference mixer written from the specification alone: the
//! arithmetic documented at the top of `barge::kernel`, the table of
//! DESIGN.md and `barge::route`, and the ramp rules of `barge::session`. It
//! shares no code with the crate's kernel: one output sample at a time, one
//! talker at a time, in the order the talkers are given.

use barge::{Mode, Sample};

/// One talker as one listener hears it, for the reference.
#[derive(Debug, Clone, Copy)]
pub struct RefTalker<'a, S> {
    /// The talker's frame.
    pub samples: &'a [S],
    /// Linear gain at the end of the previous frame.
    pub from: f32,
    /// Linear gain reached at the end of the ramp.
    pub to: f32,
    /// Ramp length in samples (longer than the frame: the frame's length).
    pub ramp: usize,
}

/// What the reference needs of a sample type.
pub trait RefSample: Sample {
    /// A sample from fuzz data; `kind` picks a distribution.
    fn from_fuzz(bits: u32, kind: u8) -> Self;
    /// A frame that must never be heard, to probe who hears whom.
    fn probe(i: usize) -> Self;
    /// A sample the kernel must never see (non-finite `f32`).
    fn is_bad(self) -> bool;
    /// Bit-exact equality.
    fn same(self, other: Self) -> bool;
    /// Whether an output sample is a valid output (finite, within full scale).
    fn valid_output(self) -> bool;
    /// Writes what a listener hears into `out`; returns clipped samples.
    fn reference_mix(out: &mut [Self], talkers: &[RefTalker<'_, Self>]) -> usize;
}

/// The fixed-point factor of a linear gain, as documented for `i16`.
fn q14(g: f32) -> i64 {
    (g * 16384.0 + 0.5) as i32 as i64
}

impl RefSample for i16 {
    fn from_fuzz(bits: u32, kind: u8) -> i16 {
        match kind % 3 {
            0 => bits as i16,
            1 => [i16::MIN, i16::MAX, -1, 0, 1, 16384][bits as usize % 6],
            _ => (bits as i16) >> 4,
        }
    }
    fn probe(i: usize) -> i16 {
        if i & 1 == 0 {
            i16::MAX
        } else {
            i16::MIN
        }
    }
    fn is_bad(self) -> bool {
        false
    }
    fn same(self, other: i16) -> bool {
        self == other
    }
    fn valid_output(self) -> bool {
        true
    }
    fn reference_mix(out: &mut [i16], talkers: &[RefTalker<'_, i16>]) -> usize {
        let len = out.len();
        let mut clipped = 0;
        for (i, o) in out.iter_mut().enumerate() {
            let mut sum: i64 = 0;
            for t in talkers {
                let ramp = t.ramp.min(len) as i64;
                let (q0, q1) = (q14(t.from), q14(t.to));
                let k = i as i64 + 1;
                let g = if k < ramp {
                    q0 + (q1 - q0) * k / ramp
                } else {
                    q1
                };
                sum += (t.samples[i] as i64 * g + 8192) >> 14;
            }
            let c = sum.clamp(-32768, 32767);
            clipped += (c != sum) as usize;
            *o = c as i16;
        }
        clipped
    }
}

impl RefSample for f32 {
    fn from_fuzz(bits: u32, kind: u8) -> f32 {
        match kind % 4 {
            0 => f32::from_bits(bits),
            1 => (bits as i16) as f32 / 32768.0,
            2 => [
                f32::NAN,
                f32::INFINITY,
                f32::NEG_INFINITY,
                1.0,
                -1.0,
                0.5,
                -0.0,
                f32::MAX,
            ][bits as usize % 8],
            _ => (bits as i16 as f32 / 32768.0) * 3.0,
        }
    }
    fn probe(i: usize) -> f32 {
        [f32::NAN, 1.0, f32::INFINITY, -1.0, f32::NEG_INFINITY][i % 5]
    }
    fn is_bad(self) -> bool {
        !self.is_finite()
    }
    fn same(self, other: f32) -> bool {
        self.to_bits() == other.to_bits()
    }
    fn valid_output(self) -> bool {
        self.is_finite() && (-1.0..=1.0).contains(&self)
    }
    // Written out rather than with `clamp`, as the specification says it.
    #[allow(clippy::manual_clamp)]
    fn reference_mix(out: &mut [f32], talkers: &[RefTalker<'_, f32>]) -> usize {
        let len = out.len();
        let mut clipped = 0;
        for (i, o) in out.iter_mut().enumerate() {
            let mut sum = 0.0f32;
            for t in talkers {
                let ramp = t.ramp.min(len);
                let k = i + 1;
                let g = if k < ramp {
                    t.from + ((t.to - t.from) / ramp as f32) * k as f32
                } else {
                    t.to
                };
                sum += t.samples[i] * g;
            }
            let c = if sum.is_nan() {
                0.0
            } else if sum > 1.0 {
                1.0
            } else if sum < -1.0 {
                -1.0
            } else {
                sum
            };
            clipped += (sum.is_nan() || c != sum) as usize;
            *o = c;
        }
        clipped
    }
}

/// The supervisor modes the reference knows, from the crate docs
/// ("Who hears whom") and `barge::route`. Its own enum, so that a mode the
/// crate adds without a row here does not compile into a silent default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefMode {
    /// Nobody hears the supervisor.
    Monitor,
    /// The agent, other supervisors and whisper-recording recorders hear it.
    Whisper,
    /// Heard as in whisper; the supervisor hears nobody.
    PrivateWhisper,
    /// Everyone but the agent hears it.
    CustomerOnly,
    /// Everyone hears it.
    Barge,
}

impl RefMode {
    /// The crate's name for this mode.
    pub fn mode(self) -> Mode {
        match self {
            RefMode::Monitor => Mode::Monitor,
            RefMode::Whisper => Mode::Whisper,
            RefMode::PrivateWhisper => Mode::PrivateWhisper,
            RefMode::CustomerOnly => Mode::CustomerOnly,
            RefMode::Barge => Mode::Barge,
        }
    }
}

/// The roles the reference knows, from DESIGN.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefRole {
    /// The caller.
    Customer,
    /// The agent.
    Agent,
    /// A supervisor, in a mode.
    Supervisor(RefMode),
    /// A recorder, with or without whispers.
    Recorder {
        /// Whether it hears whispers.
        whisper: bool,
    },
    /// An announcement: heard by the roles of its audience, hears nobody.
    Announcement {
        /// Who hears it: bit 0 customers, 1 agents, 2 supervisors (but one
        /// in private whisper, who hears nobody), 3 recorders (and taps).
        audience: u8,
    },
}

/// The audience bit of a listener in `role` (announcements hear nothing).
pub fn audience_bit(role: RefRole) -> u8 {
    match role {
        RefRole::Customer => 1,
        RefRole::Agent => 2,
        RefRole::Supervisor(_) => 4,
        RefRole::Recorder { .. } => 8,
        RefRole::Announcement { .. } => 0,
    }
}

/// The table of DESIGN.md and the crate docs: whether `listener` hears
/// `talker` (two different parties) at all. Host adjustments (route gains,
/// volumes) come on top and never open what this closes.
pub fn table_allows(listener: RefRole, talker: RefRole) -> bool {
    use RefMode::*;
    use RefRole::*;
    // A supervisor in private whisper hears nobody.
    if listener == Supervisor(PrivateWhisper) {
        return false;
    }
    // An announcement hears nobody.
    if let Announcement { .. } = listener {
        return false;
    }
    match (talker, listener) {
        (Announcement { audience }, _) => audience & audience_bit(listener) != 0,
        (Customer | Agent, _) => true,
        (Recorder { .. }, _) => false,
        (Supervisor(Monitor), _) => false,
        (Supervisor(Barge), _) => true,
        (Supervisor(Whisper | PrivateWhisper), Customer) => false,
        (Supervisor(Whisper | PrivateWhisper), Agent | Supervisor(_)) => true,
        (Supervisor(Whisper | PrivateWhisper), Recorder { whisper }) => whisper,
        (Supervisor(CustomerOnly), Agent) => false,
        (Supervisor(CustomerOnly), Customer | Supervisor(_) | Recorder { .. }) => true,
        (Supervisor(_), Announcement { .. }) => false,
    }
}
