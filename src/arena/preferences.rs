//! Preference pairs, the shape preference-tuning tools (DPO trainers and the like) read: one JSON
//! object per line, `{"prompt": [messages], "chosen": "...", "rejected": "..."}`. They come from
//! arena votes (the better side over the worse; ties and "both bad" say nothing) and from chats,
//! where a reply the user kept is preferred over each reply they regenerated away.

use serde::Serialize;

use super::vote::{vote_in, Verdict};
use crate::engine::{ChatMessage, Role};
use crate::session::Session;

/// One preference pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preference {
    pub prompt: Vec<ChatMessage>,
    pub chosen: String,
    pub rejected: String,
}

/// Every pair `s` holds, in order.
pub fn pairs_in(s: &Session) -> Vec<Preference> {
    let mut out = Vec::new();
    if let Some((vote, [a, b])) = vote_in(s) {
        let (chosen, rejected) = match vote.verdict {
            Verdict::A => (a, b),
            Verdict::B => (b, a),
            Verdict::Tie | Verdict::BothBad => return out,
        };
        if let (Some(c), Some(r)) = (&chosen.output, &rejected.output) {
            out.push(Preference {
                prompt: s.messages.iter().map(|m| m.to_chat()).collect(),
                chosen: c.clone(),
                rejected: r.clone(),
            });
        }
        return out;
    }
    for (i, m) in s.messages.iter().enumerate() {
        if m.role != Role::Assistant {
            continue;
        }
        for r in m.rejected.iter().filter(|r| **r != m.content) {
            out.push(Preference {
                prompt: s.messages[..i].iter().map(|m| m.to_chat()).collect(),
                chosen: m.content.clone(),
                rejected: r.clone(),
            });
        }
    }
    out
}

/// The pairs of all `sessions` as JSON Lines (one object per line, newline-terminated).
pub fn to_jsonl(sessions: &[Session]) -> (String, usize) {
    let mut text = String::new();
    let mut n = 0;
    for p in sessions.iter().flat_map(pairs_in) {
        if let Ok(line) = serde_json::to_string(&p) {
            text.push_str(&line);
            text.push('\n');
            n += 1;
        }
    }
    (text, n)
}

#[cfg(test)]
mod tests {
    use super::super::vote::{vote_session, Contestant};
    use super::*;
    use crate::session::{Message, Run, SessionKind};

    fn side(name: &str, out: &str) -> Contestant {
        let mut run = Run::new(name);
        run.output = Some(out.into());
        Contestant {
            name: name.into(),
            run,
        }
    }

    #[test]
    fn votes_and_regenerations_become_pairs_and_ties_do_not() {
        let won = vote_session("2+2?", side("m1", "4"), side("m2", "5"), Verdict::B);
        let tie = vote_session("2+2?", side("m1", "4"), side("m2", "4"), Verdict::Tie);
        let mut chat = Session::new(SessionKind::Chat);
        chat.messages.push(Message::new(Role::System, "Be brief."));
        chat.messages.push(Message::new(Role::User, "Hi"));
        let mut reply = Message::new(Role::Assistant, "Hello!");
        reply.rejected = vec!["Go away.".into(), "Hmm.".into()];
        chat.messages.push(reply);
        let (text, n) = to_jsonl(&[won, tie, chat]);
        assert_eq!(n, 3);
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["chosen"], "5");
        assert_eq!(lines[0]["rejected"], "4");
        assert_eq!(lines[0]["prompt"][0]["role"], "user");
        assert_eq!(lines[0]["prompt"][0]["content"], "2+2?");
        assert_eq!(lines[1]["prompt"].as_array().unwrap().len(), 2);
        assert_eq!(lines[1]["chosen"], "Hello!");
        assert_eq!(lines[1]["rejected"], "Go away.");
        assert_eq!(lines[2]["rejected"], "Hmm.");
        let keys: Vec<&String> = lines[2].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["chosen", "prompt", "rejected"]);
    }
}
