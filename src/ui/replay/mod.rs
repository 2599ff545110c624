//! The replay view, one folder: a saved session replayed on the engine beside its recording.
//! Its state (`state`), its keys and the worker's reports (`update`), the worker the runtime
//! runs it on (`task`), and its drawing (`view`). It opens from the session browser.

pub mod state;
pub mod task;
pub mod update;
pub mod view;
