//! The template browser, one folder: its state (`state`), its keys (`update`), the library and
//! the preview it feeds (`library`), sending a rendered prompt into the chat or the compare view
//! (`send`), the background work the runtime runs for it (`jobs`: loading, the engine's part of
//! a preview, `$EDITOR`), and its drawing (`view`, with the budget and preview panes in
//! `preview_view`).

pub mod jobs;
pub mod library;
pub mod preview_view;
pub mod send;
pub mod state;
pub mod update;
pub mod view;
