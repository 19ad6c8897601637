//! Labels: the host's own keys for users, legs and groups.
//!
//! A [`Label`] is what a host already calls a party or a group ("sam",
//! "agent-1042", "team-a", "qa"): short UTF-8 text, stored inline, copied
//! like an integer, never allocated. It is what [`policy`](crate::policy)
//! grants are written in, and what a refusal names.
//!
//! ```
//! use barge::Label;
//! let sam = Label::new("sam")?;
//! assert_eq!(sam.as_str(), "sam");
//! assert_eq!(sam.to_string(), "sam");
//! assert_eq!(format!("{sam:?}"), "\"sam\"");
//! assert!(Label::new("").is_err());
//! assert!(Label::new("a\nb").is_err());
//!
//! // A literal, checked when the program is compiled.
//! const QA: Label = Label::from_static("qa");
//! assert_eq!(QA.as_str(), "qa");
//! # Ok::<(), barge::Error>(())
//! ```

use core::borrow::Borrow;
use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::num::NonZeroU8;

mod parse;

/// A host's key for a user, a leg or a group: 1 to [`Label::MAX_LEN`]
/// bytes of UTF-8 with no control character and no line or paragraph
/// separator, so that an audit line that names it stays one line.
///
/// Equality, order and hashing are those of the text ([`str`]'s), so a
/// `Label` can be looked up by `&str` in a map keyed by labels. `Debug`
/// shows the text quoted, `Display` as it is.
#[derive(Clone, Copy)]
pub struct Label {
    /// Bytes in use, 1..=MAX_LEN; the nonzero niche keeps `Option<Label>`
    /// as small as a `Label`.
    len: NonZeroU8,
    /// The text, then zeros.
    bytes: [u8; Label::MAX_LEN],
}

impl Label {
    /// The longest label, in bytes of UTF-8 (not characters: "é" is two).
    pub const MAX_LEN: usize = 32;

    /// The text.
    pub const fn as_str(&self) -> &str {
        let (text, _) = self.bytes.split_at(self.len.get() as usize);
        match core::str::from_utf8(text) {
            Ok(s) => s,
            // Built from a `&str` cut at a character boundary: valid UTF-8.
            Err(_) => "",
        }
    }

    /// Its length in bytes, 1..=[`Label::MAX_LEN`].
    pub const fn len(&self) -> usize {
        self.len.get() as usize
    }

    /// Always `false`: a label has at least one byte. (Here for the
    /// `len_without_is_empty` convention.)
    pub const fn is_empty(&self) -> bool {
        false
    }
}

/// The character at `at` in `bytes` (valid UTF-8, `at` on a character
/// boundary) and its width in bytes.
const fn decode(bytes: &[u8], at: usize) -> (char, usize) {
    let b0 = bytes[at] as u32;
    let (code, width) = if b0 < 0x80 {
        (b0, 1)
    } else if b0 < 0xE0 {
        ((b0 & 0x1F) << 6 | (bytes[at + 1] as u32 & 0x3F), 2)
    } else if b0 < 0xF0 {
        (
            (b0 & 0x0F) << 12 | (bytes[at + 1] as u32 & 0x3F) << 6 | (bytes[at + 2] as u32 & 0x3F),
            3,
        )
    } else {
        (
            (b0 & 0x07) << 18
                | (bytes[at + 1] as u32 & 0x3F) << 12
                | (bytes[at + 2] as u32 & 0x3F) << 6
                | (bytes[at + 3] as u32 & 0x3F),
            4,
        )
    };
    match char::from_u32(code) {
        Some(c) => (c, width),
        // Unreachable for valid UTF-8; refused if it ever were.
        None => ('\u{0}', width),
    }
}

/// Whether a label may not hold `c`: control characters (C0, DEL, C1)
/// and the Unicode line and paragraph separators break audit lines.
const fn refused(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1F}' | '\u{7F}'..='\u{9F}' | '\u{2028}' | '\u{2029}')
}

impl PartialEq for Label {
    fn eq(&self, other: &Label) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Label {}

impl PartialOrd for Label {
    fn partial_cmp(&self, other: &Label) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Label {
    fn cmp(&self, other: &Label) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Label {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl Borrow<str> for Label {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Label {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for Label {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Label {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Label {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    #[test]
    fn keeps_the_text() {
        for text in ["a", "sam", "team-lead", "Zoë", "客服", "a b"] {
            let label = Label::new(text).unwrap();
            assert_eq!(label.as_str(), text);
            assert_eq!(label.len(), text.len());
            assert_eq!(label.to_string(), text);
        }
    }

    #[test]
    fn compares_and_orders_as_text() {
        let a = Label::new("ab").unwrap();
        let b = Label::new("b").unwrap();
        assert!(a < b, "by text, not by length");
        assert_eq!(a, Label::new("ab").unwrap());
        assert_eq!(a, "ab");
        assert_ne!(a, Label::new("abc").unwrap());
        assert_eq!(format!("{a:?}"), "\"ab\"");
        assert_eq!(
            format!("{:?}", Label::new("say \"hi\"").unwrap()),
            r#""say \"hi\"""#
        );
        assert_eq!(
            core::mem::size_of::<Option<Label>>(),
            core::mem::size_of::<Label>()
        );
    }

    #[test]
    fn from_static_in_const_context() {
        const LEAD: Label = Label::from_static("team-lead");
        assert_eq!(LEAD.as_str(), "team-lead");
        assert_eq!(const { Label::from_static("é") }.len(), 2);
    }
}
