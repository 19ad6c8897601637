//! Labels from text: checked, with an error that says what is wrong.

use core::num::NonZeroU8;

use super::{decode, refused};
use crate::error::Error;
use crate::label::Label;

impl Label {
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

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Label {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Label, D::Error> {
        struct Text;

        impl serde::de::Visitor<'_> for Text {
            type Value = Label;

            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
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

    use alloc::string::{String, ToString};

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
}
