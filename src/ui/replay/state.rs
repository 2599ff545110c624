//! The replay view's state: the session being replayed, the turns replayed so far beside their
//! recording, the reply streaming now, where the run stands and the scroll position.

use crate::session::replay::TurnReplay;
use crate::session::Session;
use crate::ui::reply::Reply;

/// The replay view of one session.
#[derive(Debug, Clone)]
pub struct ReplayView {
    /// Tells this replay's events from those of an earlier one.
    pub id: u64,
    pub session: Session,
    /// Replay against the current model and sampling instead of the recorded ones.
    pub current: bool,
    /// Turns that will be replayed, once planned.
    pub total: Option<usize>,
    pub turns: Vec<TurnReplay>,
    /// The reply being generated, as it streams (the chat's and the compare columns' type).
    pub reply: Reply,
    pub started: bool,
    pub running: bool,
    /// Waiting for the next `n` (turn by turn) rather than running on.
    pub step: bool,
    pub cancelled: bool,
    pub finished: bool,
    pub error: Option<String>,
    pub warnings: Vec<String>,
    /// The top row asked for when not following the end.
    pub scroll: u16,
    /// Keep the newest turn in view (until the user scrolls up).
    pub follow: bool,
    /// The top row shown and the largest top row, at the last frame (scrolling starts there).
    pub shown: std::cell::Cell<(u16, u16)>,
}

impl ReplayView {
    pub fn new(id: u64, session: Session) -> ReplayView {
        ReplayView {
            id,
            session,
            current: false,
            total: None,
            turns: Vec::new(),
            reply: Reply::default(),
            started: false,
            running: false,
            step: true,
            cancelled: false,
            finished: false,
            error: None,
            warnings: Vec::new(),
            scroll: 0,
            follow: true,
            shown: std::cell::Cell::new((0, 0)),
        }
    }
}
