//! Text helpers shared by every part of howdah that shows or writes untrusted text.

pub mod sanitize;

pub use sanitize::{sanitize, Sanitizer};
