//! How the audit trail's values serialize (feature `serde`): so that
//! [`Event`](crate::Event)s write as JSON lines a reviewer can read.
//!
//! Ids are their numbers within the call, gains are dB (`null` for
//! muted), rates are Hz, audiences are lists of roles, digits are their
//! characters, tones their frequencies, levels and cadence.

use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};

use crate::dsp::digit::Digit;
use crate::dsp::tone::ToneSpec;
use crate::format::SampleRate;
use crate::gain::Gain;
use crate::id::{PartyId, TapId};
use crate::route::{Audience, Role};

impl Serialize for PartyId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.get())
    }
}

impl Serialize for TapId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.get())
    }
}

impl Serialize for Gain {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.is_muted() {
            s.serialize_none()
        } else {
            s.serialize_some(&self.db())
        }
    }
}

impl Serialize for SampleRate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.hz())
    }
}

impl Serialize for Digit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_char(self.as_char())
    }
}

impl Serialize for Audience {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let roles = [
            Role::Customer,
            Role::Agent,
            Role::Supervisor,
            Role::Recorder,
        ];
        let members = roles.iter().filter(|&&r| self.includes(r));
        let mut seq = s.serialize_seq(Some(members.clone().count()))?;
        for r in members {
            seq.serialize_element(r)?;
        }
        seq.end()
    }
}

impl Serialize for ToneSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_struct("ToneSpec", 3)?;
        t.serialize_field("components", self.components())?;
        t.serialize_field("cadence", &self.cadence())?;
        t.serialize_field("edge_ms", &self.edge_ms())?;
        t.end()
    }
}
