//! Blind A/B votes between two replies to one prompt (`howdah arena`), the ratings they add up to
//! (Bradley–Terry with bootstrap intervals) and preference pairs for preference tuning.
//!
//! A vote is stored as an ordinary compare session with two runs, `A` and `B` (the sides as
//! shown), each carrying its contestant's name and the verdict in `data.arena`; the user's
//! question is the session's one message. So votes need no new file format, show up in the
//! session browser, and can be deleted like any session.

pub mod preferences;
pub mod ratings;
pub mod vote;

pub use ratings::{fit, ratings, Rating};
pub use vote::{vote_session, votes_in, Contestant, Verdict, Vote};

/// A fair coin for the random sides of a match, from the OS-seeded hasher and the clock (no
/// randomness crate feature needed for one bit).
pub fn coin() -> bool {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.finish() & 1 == 1
}
