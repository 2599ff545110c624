//! Greedy text from a server against the local engine's: the server is llama.cpp built apart
//! from the library howdah links (another source package, other CPU kernels), so two greedy texts
//! may part where the model's top two choices are nearly tied, and only there.

use howdah::engine::TokenEvent;

/// The largest gap between the top two probabilities at which texts may part.
const NEAR_TIE: f32 = 0.2;

/// Asserts `server` (its streamed tokens, with their top alternatives) equals `local`, or parts
/// from it at a token whose top two choices were a near tie on the server, after at least one
/// token of agreement.
pub fn assert_same_greedy(tokens: &[TokenEvent], local: &str, what: &str) {
    let server: String = tokens.iter().map(|t| t.text.as_str()).collect();
    if server == local {
        return;
    }
    let parted = server
        .char_indices()
        .zip(local.chars())
        .find(|((_, a), b)| a != b)
        .map(|((i, _), _)| i)
        .unwrap_or(server.len().min(local.len()));
    // The token whose released text covers the first differing byte.
    let mut end = 0;
    let at = tokens.iter().position(|t| {
        end += t.text.len();
        end > parted
    });
    let Some(at) = at else {
        panic!("{what}: the server's text ends early:\n{server:?}\n{local:?}");
    };
    let t = &tokens[at];
    let gap = match t.top.as_slice() {
        [a, b, ..] => a.prob - b.prob,
        _ => 1.0,
    };
    assert!(
        at > 0 && gap < NEAR_TIE,
        "{what}: server and local engine part at token {at} ({:?}), where the server's top two \
         are {:?} (a gap of {gap:.2}, not a near tie):\n{server:?}\n{local:?}",
        t.text,
        t.top.iter().take(2).collect::<Vec<_>>()
    );
}
