//! Versions of a conversation from one message on, as the llama.cpp web UI keeps them: a
//! regenerated reply keeps the earlier replies, and an edited message keeps the earlier
//! branch (the old message and everything that followed), browsable as "‹ 2/3 ›".
//!
//! The session's `messages` are always the selected line, so replay, export and older readers
//! see exactly what the user sees; the other versions wait on the first message of the line at
//! the point where they part (`Message::versions`), saved in the session file and ignored by
//! builds that predate them. An assistant message's `rejected` texts (preference export) are
//! kept equal to the other versions' replies at that point.

use serde::{Deserialize, Serialize};

use super::format::{Message, Session};
use crate::engine::Role;

/// The other versions of the conversation from a message on.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Versions {
    /// The place of the selected version among all of them (0-based, oldest first).
    pub current: usize,
    /// The versions not selected, oldest first, each the messages from this point on.
    pub others: Vec<Vec<Message>>,
}

impl Versions {
    /// How many versions there are, the selected one included.
    pub fn len(&self) -> usize {
        self.others.len() + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

impl Session {
    /// Replaces the conversation from message `at` on with `tail`, keeping what was there as
    /// an earlier version (a regenerated reply, an edited message). `tail` becomes the newest
    /// version and the selected one.
    pub fn branch_at(&mut self, at: usize, tail: Vec<Message>) {
        let at = at.min(self.messages.len());
        let mut old: Vec<Message> = self.messages.split_off(at);
        let mut versions = old
            .first_mut()
            .and_then(|m| m.versions.take())
            .map(|v| *v)
            .unwrap_or_default();
        if !old.is_empty() {
            versions.others.insert(versions.current, old);
        }
        versions.current = versions.others.len();
        self.messages.extend(tail);
        self.set_versions(at, versions);
    }

    /// `(selected, total)` for the message at `at` when it has other versions (1-based
    /// selected: the "2/3" a reply shows).
    pub fn versions_at(&self, at: usize) -> Option<(usize, usize)> {
        let v = self.messages.get(at)?.versions.as_deref()?;
        Some((v.current + 1, v.len()))
    }

    /// Selects the previous (`step` < 0) or next version at message `at`; false at either end
    /// or where there is only one.
    pub fn select_version(&mut self, at: usize, step: isize) -> bool {
        let Some(v) = self.messages.get(at).and_then(|m| m.versions.as_deref()) else {
            return false;
        };
        let Some(target) = v.current.checked_add_signed(step).filter(|t| *t < v.len()) else {
            return false;
        };
        let mut versions = self.messages[at]
            .versions
            .take()
            .map(|v| *v)
            .unwrap_or_default();
        let shown = self.messages.split_off(at);
        // All versions in order, then the target taken out of them.
        versions.others.insert(versions.current, shown);
        let tail = versions.others.remove(target);
        versions.current = target;
        self.messages.extend(tail);
        self.set_versions(at, versions);
        true
    }

    /// Puts `versions` on the message at `at` (when there are others) and keeps a reply's
    /// `rejected` texts equal to the other versions' replies there.
    fn set_versions(&mut self, at: usize, versions: Versions) {
        let Some(m) = self.messages.get_mut(at) else {
            return;
        };
        if m.role == Role::Assistant {
            let others = versions
                .others
                .iter()
                .filter_map(|t| t.first())
                .filter(|r| r.role == Role::Assistant && r.content != m.content);
            let mut rejected: Vec<String> = Vec::new();
            for r in others.flat_map(|r| r.rejected.iter().chain([&r.content])) {
                if !rejected.contains(r) && *r != m.content {
                    rejected.push(r.clone());
                }
            }
            for r in std::mem::take(&mut m.rejected) {
                if !rejected.contains(&r) && r != m.content {
                    rejected.push(r);
                }
            }
            m.rejected = rejected;
        }
        m.versions = (!versions.others.is_empty()).then(|| Box::new(versions));
    }
}
