//! The 16 DTMF keys (ITU-T Q.23): each [`Digit`] with its two frequencies,
//! its RFC 4733 telephone-event code and its character. The tone generator
//! plays them ([`crate::tone::ToneSpec::dtmf`]), the detector finds them
//! ([`crate::dtmf::DtmfDetector`]) and the keypad maps them to modes
//! ([`crate::keypad::DtmfMap`]).

use core::fmt;

use crate::error::Error;

/// One of the 16 DTMF keys (ITU-T Q.23).
///
/// The discriminant is the key's RFC 4733 telephone-event code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Digit {
    /// `0`: 941 Hz and 1336 Hz.
    Zero = 0,
    /// `1`: 697 Hz and 1209 Hz.
    One = 1,
    /// `2`: 697 Hz and 1336 Hz.
    Two = 2,
    /// `3`: 697 Hz and 1477 Hz.
    Three = 3,
    /// `4`: 770 Hz and 1209 Hz.
    Four = 4,
    /// `5`: 770 Hz and 1336 Hz.
    Five = 5,
    /// `6`: 770 Hz and 1477 Hz.
    Six = 6,
    /// `7`: 852 Hz and 1209 Hz.
    Seven = 7,
    /// `8`: 852 Hz and 1336 Hz.
    Eight = 8,
    /// `9`: 852 Hz and 1477 Hz.
    Nine = 9,
    /// `*`: 941 Hz and 1209 Hz.
    Star = 10,
    /// `#`: 941 Hz and 1477 Hz.
    Hash = 11,
    /// `A`: 697 Hz and 1633 Hz.
    A = 12,
    /// `B`: 770 Hz and 1633 Hz.
    B = 13,
    /// `C`: 852 Hz and 1633 Hz.
    C = 14,
    /// `D`: 941 Hz and 1633 Hz.
    D = 15,
}

/// The low-group (row) frequencies, Hz.
pub const ROW_HZ: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
/// The high-group (column) frequencies, Hz.
pub const COLUMN_HZ: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];

/// The keypad, by row and column.
const KEYPAD: [[Digit; 4]; 4] = [
    [Digit::One, Digit::Two, Digit::Three, Digit::A],
    [Digit::Four, Digit::Five, Digit::Six, Digit::B],
    [Digit::Seven, Digit::Eight, Digit::Nine, Digit::C],
    [Digit::Star, Digit::Zero, Digit::Hash, Digit::D],
];

impl Digit {
    /// All 16, in event-code order: 0–9, `*`, `#`, A–D.
    pub const ALL: [Digit; 16] = [
        Digit::Zero,
        Digit::One,
        Digit::Two,
        Digit::Three,
        Digit::Four,
        Digit::Five,
        Digit::Six,
        Digit::Seven,
        Digit::Eight,
        Digit::Nine,
        Digit::Star,
        Digit::Hash,
        Digit::A,
        Digit::B,
        Digit::C,
        Digit::D,
    ];

    /// The digit of an RFC 4733 telephone-event code (0–9 the digits,
    /// 10 `*`, 11 `#`, 12–15 A–D), or [`Error::DtmfEventCode`].
    pub const fn from_event_code(code: u8) -> Result<Digit, Error> {
        if code < 16 {
            Ok(Digit::ALL[code as usize])
        } else {
            Err(Error::DtmfEventCode { given: code })
        }
    }

    /// The RFC 4733 telephone-event code, 0–15.
    pub const fn event_code(self) -> u8 {
        self as u8
    }

    /// The digit of a character (`0`–`9`, `*`, `#`, `A`–`D` or `a`–`d`),
    /// or [`Error::DtmfChar`].
    pub const fn from_char(c: char) -> Result<Digit, Error> {
        Ok(match c {
            '0'..='9' => Digit::ALL[c as usize - '0' as usize],
            '*' => Digit::Star,
            '#' => Digit::Hash,
            'A'..='D' => Digit::ALL[12 + c as usize - 'A' as usize],
            'a'..='d' => Digit::ALL[12 + c as usize - 'a' as usize],
            given => return Err(Error::DtmfChar { given }),
        })
    }

    /// The character: `0`–`9`, `*`, `#`, `A`–`D`.
    pub const fn as_char(self) -> char {
        b"0123456789*#ABCD"[self as usize] as char
    }

    /// The keypad row, 0–3 (697, 770, 852, 941 Hz).
    pub const fn row(self) -> usize {
        match self {
            Digit::One | Digit::Two | Digit::Three | Digit::A => 0,
            Digit::Four | Digit::Five | Digit::Six | Digit::B => 1,
            Digit::Seven | Digit::Eight | Digit::Nine | Digit::C => 2,
            Digit::Star | Digit::Zero | Digit::Hash | Digit::D => 3,
        }
    }

    /// The keypad column, 0–3 (1209, 1336, 1477, 1633 Hz).
    pub const fn column(self) -> usize {
        match self {
            Digit::One | Digit::Four | Digit::Seven | Digit::Star => 0,
            Digit::Two | Digit::Five | Digit::Eight | Digit::Zero => 1,
            Digit::Three | Digit::Six | Digit::Nine | Digit::Hash => 2,
            Digit::A | Digit::B | Digit::C | Digit::D => 3,
        }
    }

    /// The digit at a keypad row and column (each 0–3; larger values are
    /// taken modulo 4).
    pub const fn at(row: usize, column: usize) -> Digit {
        KEYPAD[row % 4][column % 4]
    }

    /// The low-group (row) frequency, Hz.
    pub const fn row_hz(self) -> f32 {
        ROW_HZ[self.row()]
    }

    /// The high-group (column) frequency, Hz.
    pub const fn column_hz(self) -> f32 {
        COLUMN_HZ[self.column()]
    }
}

impl fmt::Display for Digit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_char())
    }
}

impl TryFrom<char> for Digit {
    type Error = Error;
    fn try_from(c: char) -> Result<Digit, Error> {
        Digit::from_char(c)
    }
}

impl From<Digit> for char {
    fn from(d: Digit) -> char {
        d.as_char()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn event_codes_and_chars_round_trip() {
        for (code, c) in "0123456789*#ABCD".chars().enumerate() {
            let d = Digit::from_event_code(code as u8).unwrap();
            assert_eq!(d.event_code(), code as u8);
            assert_eq!(d.as_char(), c);
            assert_eq!(Digit::from_char(c), Ok(d));
            assert_eq!(Digit::try_from(c.to_ascii_lowercase()), Ok(d));
            assert_eq!(Digit::at(d.row(), d.column()), d);
        }
        assert_eq!(
            Digit::from_event_code(16),
            Err(Error::DtmfEventCode { given: 16 })
        );
        assert_eq!(Digit::from_char('E'), Err(Error::DtmfChar { given: 'E' }));
    }

    #[test]
    fn keypad_frequencies_are_q23() {
        assert_eq!(
            (Digit::One.row_hz(), Digit::One.column_hz()),
            (697.0, 1209.0)
        );
        assert_eq!(
            (Digit::Zero.row_hz(), Digit::Zero.column_hz()),
            (941.0, 1336.0)
        );
        assert_eq!(
            (Digit::Hash.row_hz(), Digit::Hash.column_hz()),
            (941.0, 1477.0)
        );
        assert_eq!((Digit::B.row_hz(), Digit::B.column_hz()), (770.0, 1633.0));
    }
}
