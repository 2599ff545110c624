//! The `-ngl` / `--gpu-layers` value: "auto" (every layer that fits the GPU) or a count, as in
//! llama.cpp. Sessions store it as "auto" or a number; older sessions hold plain numbers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How many of a model's layers to put on the GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GpuLayers {
    /// Every layer that fits in the device's free memory together with the KV cache.
    #[default]
    Auto,
    /// Exactly this many (0 = the CPU only; more than the model has = all of them).
    Count(u32),
}

impl GpuLayers {
    pub const CPU: GpuLayers = GpuLayers::Count(0);
}

impl fmt::Display for GpuLayers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GpuLayers::Auto => f.write_str("auto"),
            GpuLayers::Count(n) => write!(f, "{n}"),
        }
    }
}

impl FromStr for GpuLayers {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("auto") {
            return Ok(GpuLayers::Auto);
        }
        // llama.cpp users write -ngl 99 or 999 for "all"; any count is accepted and capped later.
        t.parse::<u32>().map(GpuLayers::Count).map_err(|_| {
            format!(
                "{:?} is not a layer count: use auto (every layer that fits the GPU), 0 (the CPU only) or a number of layers",
                crate::text::sanitize::sanitize_line(s)
            )
        })
    }
}

impl Serialize for GpuLayers {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            GpuLayers::Auto => s.serialize_str("auto"),
            GpuLayers::Count(n) => s.serialize_u32(*n),
        }
    }
}

impl<'de> Deserialize<'de> for GpuLayers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u32),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(GpuLayers::Count(n)),
            Raw::S(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_auto_and_counts_and_refuses_the_rest() {
        assert_eq!("auto".parse::<GpuLayers>(), Ok(GpuLayers::Auto));
        assert_eq!(" AUTO ".parse::<GpuLayers>(), Ok(GpuLayers::Auto));
        assert_eq!("0".parse::<GpuLayers>(), Ok(GpuLayers::CPU));
        assert_eq!("99".parse::<GpuLayers>(), Ok(GpuLayers::Count(99)));
        for bad in ["-1", "all-of-them", "", "1.5"] {
            let e = bad.parse::<GpuLayers>().unwrap_err();
            assert!(e.contains("not a layer count") && e.contains("auto"), "{e}");
        }
    }

    #[test]
    fn sessions_keep_numbers_and_auto() {
        let n: GpuLayers = serde_json::from_str("12").unwrap();
        assert_eq!(n, GpuLayers::Count(12));
        let a: GpuLayers = serde_json::from_str("\"auto\"").unwrap();
        assert_eq!(a, GpuLayers::Auto);
        assert_eq!(serde_json::to_string(&GpuLayers::Auto).unwrap(), "\"auto\"");
        assert_eq!(serde_json::to_string(&GpuLayers::Count(3)).unwrap(), "3");
        assert!(serde_json::from_str::<GpuLayers>("\"lots\"").is_err());
    }
}
