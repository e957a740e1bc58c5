//! Enumerated vocabulary with the Vietnamese words technicians write.
//!
//! Each enum reads its English canonical word or its Vietnamese words, in any case, with
//! or without diacritics (matching goes through [`crate::text::fold`]).

use crate::text;

/// An enumerated value written in a log or a request.
pub trait Vocabulary: Sized + Copy + 'static {
    /// Every value, with the canonical word first and the accepted alternatives after.
    const WORDS: &'static [(Self, &'static [&'static str])];

    /// Reads a written word; `None` when it names no value.
    fn from_word(written: &str) -> Option<Self> {
        let key = text::fold(written);
        if key.is_empty() {
            return None;
        }
        Self::WORDS
            .iter()
            .find(|(_, words)| words.iter().any(|w| text::fold(w) == key))
            .map(|(v, _)| *v)
    }

    /// The accepted words, for error messages: `pass (Đạt), fail (Không đạt)`.
    fn accepted() -> String {
        Self::WORDS
            .iter()
            .map(|(_, words)| match words.split_first() {
                Some((canonical, [])) => (*canonical).to_owned(),
                Some((canonical, rest)) => format!("{canonical} ({})", rest.join(", ")),
                None => String::new(),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Implements `as_str`, `Display`, `FromStr` and serde as the canonical word.
macro_rules! canonical_words {
    ($ty:ty) => {
        impl $ty {
            /// The canonical English word.
            pub fn as_str(self) -> &'static str {
                <$ty as $crate::vocab::Vocabulary>::WORDS
                    .iter()
                    .find(|(v, _)| *v == self)
                    .and_then(|(_, words)| words.first().copied())
                    .unwrap_or("")
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl std::str::FromStr for $ty {
            type Err = $crate::vocab::UnknownWord;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$ty as $crate::vocab::Vocabulary>::from_word(s).ok_or_else(|| {
                    $crate::vocab::UnknownWord {
                        accepted: <$ty as $crate::vocab::Vocabulary>::accepted(),
                    }
                })
            }
        }
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use canonical_words;

/// A word that names no value of an enumeration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not one of: {accepted}")]
pub struct UnknownWord {
    pub accepted: String,
}
