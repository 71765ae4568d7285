//! Colours written as `#rrggbb` or `#rrggbbaa` in theme and config files.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A straight (not premultiplied) 8-bit RGBA colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgba {
    pub r: u8,
    pub g: u8,
    pub b: u8,
    pub a: u8,
}

impl Rgba {
    pub const fn rgb(r: u8, g: u8, b: u8) -> Self {
        Self { r, g, b, a: 255 }
    }

    /// Components as 0..=1 floats, premultiplied by alpha (what renderers want).
    pub fn premultiplied_f32(self) -> [f32; 4] {
        let a = self.a as f32 / 255.0;
        [self.r as f32 / 255.0 * a, self.g as f32 / 255.0 * a, self.b as f32 / 255.0 * a, a]
    }

    /// Linear blend towards `other` by `t` in 0..=1.
    pub fn mix(self, other: Rgba, t: f32) -> Rgba {
        let t = t.clamp(0.0, 1.0);
        let m = |a: u8, b: u8| (a as f32 + (b as f32 - a as f32) * t).round() as u8;
        Rgba { r: m(self.r, other.r), g: m(self.g, other.g), b: m(self.b, other.b), a: m(self.a, other.a) }
    }

    /// Relative luminance (sRGB, approximate), used to pick readable text colours.
    pub fn luminance(self) -> f32 {
        (0.2126 * self.r as f32 + 0.7152 * self.g as f32 + 0.0722 * self.b as f32) / 255.0
    }
}

impl fmt::Display for Rgba {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.a == 255 {
            write!(f, "#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
        } else {
            write!(f, "#{:02x}{:02x}{:02x}{:02x}", self.r, self.g, self.b, self.a)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a colour; write #rrggbb or #rrggbbaa")]
pub struct ColourError(String);

impl FromStr for Rgba {
    type Err = ColourError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ColourError(s.to_string());
        let hex = s.strip_prefix('#').ok_or_else(err)?;
        if !(hex.len() == 6 || hex.len() == 8) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(err());
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| err());
        Ok(Rgba { r: byte(0)?, g: byte(2)?, b: byte(4)?, a: if hex.len() == 8 { byte(6)? } else { 255 } })
    }
}

impl<'de> Deserialize<'de> for Rgba {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for Rgba {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let c: Rgba = "#c62828".parse().unwrap();
        assert_eq!(c, Rgba::rgb(0xc6, 0x28, 0x28));
        assert_eq!(c.to_string(), "#c62828");
        let c: Rgba = "#01020380".parse().unwrap();
        assert_eq!((c.a, c.to_string().as_str()), (0x80, "#01020380"));
    }

    #[test]
    fn rejects_garbage() {
        for s in ["c62828", "#c6282", "#zzzzzz", "#c62828f", "red", ""] {
            assert!(s.parse::<Rgba>().is_err(), "{s}");
        }
    }

    #[test]
    fn mix_endpoints() {
        let a = Rgba::rgb(0, 0, 0);
        let b = Rgba::rgb(200, 100, 50);
        assert_eq!(a.mix(b, 0.0), a);
        assert_eq!(a.mix(b, 1.0), b);
        assert_eq!(a.mix(b, 0.5), Rgba::rgb(100, 50, 25));
    }
}
