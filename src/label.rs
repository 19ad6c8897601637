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

use crate::error::Error;

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

    /// A label of `text`: [`Error::EmptyLabel`] if it is empty,
    /// [`Error::LabelTooLong`] if it has more than [`Label::MAX_LEN`] bytes,
    /// [`Error::LabelCharacter`] if it holds a control character (a line
    /// break, a tab, NUL, DEL…) or U+2028 / U+2029.
    pub const fn new(text: &str) -> Result<Label, Error> {
        let given = text.len();
        if given == 0 {
            return Err(Error::EmptyLabel {
                max: Label::MAX_LEN,
            });
        }
        if given > Label::MAX_LEN {
            return Err(Error::LabelTooLong {
                given,
                max: Label::MAX_LEN,
            });
        }
        let src = text.as_bytes();
        let mut bytes = [0u8; Label::MAX_LEN];
        let mut at = 0;
        while at < given {
            // `text` is UTF-8, so each step starts on a character.
            let (character, width) = decode(src, at);
            if refused(character) {
                return Err(Error::LabelCharacter { character, at });
            }
            let mut i = 0;
            while i < width {
                bytes[at + i] = src[at + i];
                i += 1;
            }
            at += width;
        }
        match NonZeroU8::new(given as u8) {
            Some(len) => Ok(Label { len, bytes }),
            // `given` is 1..=32: not zero.
            None => Err(Error::EmptyLabel {
                max: Label::MAX_LEN,
            }),
        }
    }

    /// A label of a literal, for constants:
    /// `const QA: Label = Label::from_static("qa");` or
    /// `const { Label::from_static("qa") }`. In a const context a literal
    /// that [`Label::new`] refuses does not compile.
    ///
    /// # Panics
    ///
    /// If [`Label::new`] refuses `text`. That happens when the program is
    /// compiled if the call is in a const context; elsewhere it would be at
    /// run time, so use [`Label::new`] for text that is not a literal.
    pub const fn from_static(text: &'static str) -> Label {
        match Label::new(text) {
            Ok(label) => label,
            Err(Error::EmptyLabel { .. }) => panic!("empty label"),
            Err(Error::LabelTooLong { .. }) => panic!("label longer than 32 bytes"),
            Err(_) => panic!("label with a control character or a line separator"),
        }
    }

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

impl TryFrom<&str> for Label {
    type Error = Error;

    fn try_from(text: &str) -> Result<Label, Error> {
        Label::new(text)
    }
}

impl core::str::FromStr for Label {
    type Err = Error;

    fn from_str(text: &str) -> Result<Label, Error> {
        Label::new(text)
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

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Label {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Label, D::Error> {
        struct Text;

        impl serde::de::Visitor<'_> for Text {
            type Value = Label;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    "a label: 1 to {} bytes of UTF-8 with no control character",
                    Label::MAX_LEN
                )
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Label, E> {
                Label::new(text).map_err(E::custom)
            }
        }

        deserializer.deserialize_str(Text)
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use alloc::format;
    use alloc::string::{String, ToString};

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
    fn lengths_at_the_bounds() {
        assert_eq!(Label::new(""), Err(Error::EmptyLabel { max: 32 }));
        assert!(Label::new("x").is_ok());
        let max: String = "x".repeat(32);
        assert_eq!(Label::new(&max).unwrap().as_str(), max);
        assert_eq!(
            Label::new(&"x".repeat(33)),
            Err(Error::LabelTooLong { given: 33, max: 32 })
        );
        // 15 ASCII bytes and 6 three-byte characters: 33 bytes, 21 chars.
        let wide = alloc::format!("{}{}", "x".repeat(15), "€".repeat(6));
        assert_eq!(wide.len(), 33);
        assert_eq!(
            Label::new(&wide),
            Err(Error::LabelTooLong { given: 33, max: 32 })
        );
        // 30 ASCII bytes and "é": exactly 32.
        let edge = alloc::format!("{}é", "x".repeat(30));
        assert_eq!(Label::new(&edge).unwrap().as_str(), edge);
        // A four-byte character ending on byte 32.
        let emoji = alloc::format!("{}🎧", "x".repeat(28));
        assert_eq!(Label::new(&emoji).unwrap().as_str(), emoji);
    }

    #[test]
    fn control_characters_are_refused_where_they_are() {
        for (text, character, at) in [
            ("a\nb", '\n', 1),
            ("\r", '\r', 0),
            ("tab\t", '\t', 3),
            ("nul\0", '\0', 3),
            ("del\u{7f}", '\u{7f}', 3),
            ("é\u{85}", '\u{85}', 2),
            ("x\u{2028}", '\u{2028}', 1),
            ("x\u{2029}", '\u{2029}', 1),
        ] {
            assert_eq!(
                Label::new(text),
                Err(Error::LabelCharacter { character, at }),
                "{text:?}"
            );
        }
        assert!(Label::new("a\u{a0}b").is_ok(), "a no-break space is text");
    }

    #[test]
    fn messages_name_the_given_and_the_expected() {
        assert_eq!(
            Label::new("").unwrap_err().to_string(),
            "empty label: expected 1 to 32 bytes of UTF-8"
        );
        assert_eq!(
            Label::new(&"y".repeat(40)).unwrap_err().to_string(),
            "label of 40 bytes: expected 1 to 32 bytes of UTF-8"
        );
        assert_eq!(
            Label::new("a\nb").unwrap_err().to_string(),
            "label with '\\n' at byte 1: expected no control character or line separator, so that an audit line stays one line"
        );
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
