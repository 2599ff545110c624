//! Sessions in the UI, one folder: what the UI keeps about them (`state`: autosave's links, the
//! browser's list and search, the replay view, the file work asked for and its results), the
//! browser's keys (`update`), the results of file work back on the UI thread (`events`), the
//! session thread that does that work (`io`), and the browser's drawing (`view`).

pub mod events;
pub mod io;
pub mod state;
pub mod update;
pub mod view;
