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
        let versions = self.detach_from(at);
        let at = at.min(self.messages.len());
        self.attach_at(at, versions, tail);
    }

    /// Takes the conversation from message `at` on out of the session, kept with its own other
    /// versions as the versions a new tail will join (`attach_at`). The TUI holds them while a
    /// regenerated reply streams, so the session never shows a half-made one.
    pub fn detach_from(&mut self, at: usize) -> Versions {
        let at = at.min(self.messages.len());
        let mut old: Vec<Message> = self.messages.split_off(at);
        let mut versions = old
            .first_mut()
            .and_then(|m| m.versions.take())
            .map(|v| *v)
            .unwrap_or_default();
        // `current` stays where the detached line went, for `restore_at`.
        if !old.is_empty() {
            versions.others.insert(versions.current, old);
        }
        versions
    }

    /// Puts `tail` at message `at` (everything from there on goes) as the newest version, with
    /// `versions` (from `detach_from`) as the others.
    pub fn attach_at(&mut self, at: usize, mut versions: Versions, tail: Vec<Message>) {
        self.messages.truncate(at);
        versions.current = versions.others.len();
        self.messages.extend(tail);
        self.set_versions(at, versions);
    }

    /// Undoes a `detach_from` whose replacement never came: the detached line is the selected
    /// one again, in its old place among the versions.
    pub fn restore_at(&mut self, at: usize, mut versions: Versions) {
        if versions.current >= versions.others.len() {
            return;
        }
        let tail = versions.others.remove(versions.current);
        let at = at.min(self.messages.len());
        self.messages.truncate(at);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::SessionKind;

    fn chat(texts: &[&str]) -> Session {
        let mut s = Session::new(SessionKind::Chat);
        for (i, t) in texts.iter().enumerate() {
            let role = if i % 2 == 0 {
                Role::User
            } else {
                Role::Assistant
            };
            s.messages.push(Message::new(role, *t));
        }
        s
    }

    fn contents(s: &Session) -> Vec<&str> {
        s.messages.iter().map(|m| m.content.as_str()).collect()
    }

    #[test]
    fn a_detached_tail_joins_the_new_one_or_comes_back_in_its_place() {
        let mut s = chat(&["q", "r1"]);
        s.branch_at(1, vec![Message::new(Role::Assistant, "r2")]);
        assert!(s.select_version(1, -1), "r1 selected again");
        // Regenerating from version 1 of 2 and giving up puts r1 back as 1/2, not r2.
        let v = s.detach_from(1);
        assert_eq!(contents(&s), ["q"]);
        s.restore_at(1, v.clone());
        assert_eq!(contents(&s), ["q", "r1"]);
        assert_eq!(s.versions_at(1), Some((1, 2)));
        // The replacement arrives: it is the newest of three.
        let v = s.detach_from(1);
        s.attach_at(1, v, vec![Message::new(Role::Assistant, "r3")]);
        assert_eq!(contents(&s), ["q", "r3"]);
        assert_eq!(s.versions_at(1), Some((3, 3)));
        // Both earlier replies are rejected in favour of it (their order follows the browsing).
        let mut rejected = s.messages[1].rejected.clone();
        rejected.sort();
        assert_eq!(rejected, ["r1", "r2"]);
    }
}
