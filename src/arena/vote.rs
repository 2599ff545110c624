//! One blind vote: the verdict, the two contestants as they were shown (A left, B right), and
//! how it is stored in and read back from a session.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::engine::Role;
use crate::session::{Message, Run, Session, SessionKind};

/// The user's verdict on sides A and B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    A,
    B,
    Tie,
    BothBad,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::A => "A is better",
            Verdict::B => "B is better",
            Verdict::Tie => "tie",
            Verdict::BothBad => "both bad",
        }
    }

    /// Score of side A: 1 win, 0 loss, ½ tie (both bad counts as a tie, as in Chatbot Arena).
    pub fn score_a(self) -> f64 {
        match self {
            Verdict::A => 1.0,
            Verdict::B => 0.0,
            Verdict::Tie | Verdict::BothBad => 0.5,
        }
    }
}

impl std::str::FromStr for Verdict {
    type Err = String;
    fn from_str(s: &str) -> Result<Verdict, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "a" | "left" => Ok(Verdict::A),
            "b" | "right" => Ok(Verdict::B),
            "t" | "tie" | "=" => Ok(Verdict::Tie),
            "x" | "bad" | "both bad" | "both-bad" | "both_bad" => Ok(Verdict::BothBad),
            other => Err(format!(
                "{other:?} is not a vote: type a (A is better), b (B is better), t (tie) or x (both bad)"
            )),
        }
    }
}

/// One contestant's reply, with what made it (kept in the session).
#[derive(Debug, Clone, PartialEq)]
pub struct Contestant {
    /// Model and variant, e.g. `SmolLM2-135M-Instruct.Q4_1.gguf · 0-shot`: what is rated.
    pub name: String,
    /// The run as it would be saved (model, sampling, setup, prompt, output, stats).
    pub run: Run,
}

/// A vote as ratings see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Vote {
    pub a: String,
    pub b: String,
    pub verdict: Verdict,
}

/// The session that records a vote: the question as its message, the two runs as shown.
pub fn vote_session(question: &str, a: Contestant, b: Contestant, verdict: Verdict) -> Session {
    let mut s = Session::new(SessionKind::Compare);
    s.title = Some(format!(
        "arena: {}",
        question.chars().take(60).collect::<String>()
    ));
    s.messages.push(Message::new(Role::User, question));
    for (side, c) in [("A", a), ("B", b)] {
        let mut run = c.run;
        run.label = side.to_string();
        let mut data = match run.data.take() {
            serde_json::Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        data.insert(
            "arena".into(),
            json!({ "side": side, "contestant": c.name, "vote": verdict }),
        );
        run.data = serde_json::Value::Object(data);
        s.runs.push(run);
    }
    s
}

fn arena_field<'a>(run: &'a Run, key: &str) -> Option<&'a serde_json::Value> {
    run.data.get("arena").and_then(|a| a.get(key))
}

/// The vote a session records, if it is an arena session.
pub fn vote_in(s: &Session) -> Option<(Vote, [&Run; 2])> {
    let side = |name: &str| {
        s.runs
            .iter()
            .find(|r| arena_field(r, "side").and_then(|v| v.as_str()) == Some(name))
    };
    let (a, b) = (side("A")?, side("B")?);
    let verdict: Verdict = serde_json::from_value(arena_field(a, "vote")?.clone()).ok()?;
    let name = |r: &Run| {
        arena_field(r, "contestant")
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    Some((
        Vote {
            a: name(a)?,
            b: name(b)?,
            verdict,
        },
        [a, b],
    ))
}

/// Every vote among `sessions`, in order.
pub fn votes_in(sessions: &[Session]) -> Vec<Vote> {
    sessions
        .iter()
        .filter_map(|s| vote_in(s).map(|(v, _)| v))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contestant(name: &str, out: &str) -> Contestant {
        let mut run = Run::new(name.to_string());
        run.output = Some(out.to_string());
        Contestant {
            name: name.to_string(),
            run,
        }
    }

    #[test]
    fn a_vote_round_trips_through_its_session() {
        let s = vote_session(
            "Why is the sky blue?",
            contestant("m1 · 0-shot", "Rayleigh scattering."),
            contestant("m2 · 0-shot", "Because."),
            Verdict::A,
        );
        assert_eq!(s.runs[0].label, "A");
        let (v, [a, b]) = vote_in(&s).unwrap();
        assert_eq!(v.a, "m1 · 0-shot");
        assert_eq!(v.b, "m2 · 0-shot");
        assert_eq!(v.verdict, Verdict::A);
        assert_eq!(a.output.as_deref(), Some("Rayleigh scattering."));
        assert_eq!(b.output.as_deref(), Some("Because."));
        assert_eq!("x".parse::<Verdict>(), Ok(Verdict::BothBad));
        assert!("maybe"
            .parse::<Verdict>()
            .unwrap_err()
            .contains("not a vote"));
    }
}
