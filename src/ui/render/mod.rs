//! The rendering pieces every screen shares: Markdown to styled lines (`markdown`, with code
//! highlighted by `highlight`), wrapping to a width (`wrap`), the chat transcript built from
//! them, cached per message (`transcript`), and the frame every dialog is drawn in (`popup`).

pub mod highlight;
pub mod markdown;
pub mod popup;
pub mod transcript;
pub mod wrap;
