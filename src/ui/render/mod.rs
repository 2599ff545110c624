//! The rendering pieces every screen shares: Markdown to styled lines (`markdown`, with code
//! highlighted by `highlight`), wrapping to a width (`wrap`) and the chat transcript built from
//! them, cached per message (`transcript`).

pub mod highlight;
pub mod markdown;
pub mod transcript;
pub mod wrap;
