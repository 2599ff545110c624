//! Ratings from votes: a Bradley–Terry model fitted by Hunter's minorize–maximize iteration
//! (ties count half a win to each side), shown on the Elo scale (1000 = average, +191 = wins
//! three times in four), with a 95 % interval from resampling the votes (fixed seed).

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use super::vote::Vote;
use crate::compare::stats::percentile;

/// Elo points per factor of 10 in strength.
const SCALE: f64 = 400.0;
/// The rating of the average contestant.
const BASE: f64 = 1000.0;
/// Virtual drawn games against an average contestant, added to every real player's record so
/// that one who never lost (or never won) gets a finite rating; small next to real votes.
pub const PRIOR_GAMES: f64 = 1.0;
/// Bootstrap resamples of the votes for the intervals.
const BOOTSTRAP_REPS: usize = 500;
const BOOTSTRAP_SEED: u64 = 16;
const MAX_ITERS: usize = 10_000;
const TOLERANCE: f64 = 1e-10;

/// One contestant's standing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rating {
    pub name: String,
    pub rating: f64,
    /// 95 % bootstrap interval of `rating`.
    pub ci: [f64; 2],
    pub votes: usize,
    pub wins: usize,
    pub losses: usize,
    /// Ties and "both bad".
    pub ties: usize,
}

/// Bradley–Terry ratings (Elo scale) of every contestant in `votes`, by name. With
/// `prior_games` = 0 this is the plain maximum-likelihood fit, centred so that the ratings
/// average 1000 (it diverges for an unbeaten player, so callers use `PRIOR_GAMES`).
pub fn fit(votes: &[Vote], prior_games: f64) -> BTreeMap<String, f64> {
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for v in votes {
        for n in [&v.a, &v.b] {
            let next = index.len();
            index.entry(n.as_str()).or_insert(next);
        }
    }
    let k = index.len();
    // wins[i]: score of i (ties ½); games[i][j]: games between i and j.
    let mut wins = vec![0.0; k];
    let mut games = vec![vec![0.0; k]; k];
    for v in votes {
        let (a, b) = (index[v.a.as_str()], index[v.b.as_str()]);
        if a == b {
            continue;
        }
        let s = v.verdict.score_a();
        wins[a] += s;
        wins[b] += 1.0 - s;
        games[a][b] += 1.0;
        games[b][a] += 1.0;
    }
    let mut p = vec![1.0; k];
    for _ in 0..MAX_ITERS {
        let mut next = vec![0.0; k];
        for i in 0..k {
            // The prior: `prior_games` draws against a fixed opponent of strength 1.
            let mut denom = prior_games / (p[i] + 1.0);
            for j in 0..k {
                if games[i][j] > 0.0 {
                    denom += games[i][j] / (p[i] + p[j]);
                }
            }
            let w = wins[i] + prior_games / 2.0;
            next[i] = if denom > 0.0 { w / denom } else { p[i] };
        }
        if prior_games == 0.0 {
            // Only ratios are identified: fix the geometric mean at 1.
            let g = (next.iter().map(|x: &f64| x.max(1e-300).ln()).sum::<f64>() / k as f64).exp();
            next.iter_mut().for_each(|x| *x /= g);
        }
        let change = p
            .iter()
            .zip(&next)
            .map(|(a, b)| (a.ln() - b.max(1e-300).ln()).abs())
            .fold(0.0, f64::max);
        p = next;
        if change < TOLERANCE {
            break;
        }
    }
    index
        .into_iter()
        .map(|(n, i)| (n.to_string(), BASE + SCALE * p[i].max(1e-300).log10()))
        .collect()
}

/// Ratings with intervals and vote counts, best first.
pub fn ratings(votes: &[Vote]) -> Vec<Rating> {
    let point = fit(votes, PRIOR_GAMES);
    let mut samples: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    if !votes.is_empty() {
        let mut rng = StdRng::seed_from_u64(BOOTSTRAP_SEED);
        for _ in 0..BOOTSTRAP_REPS {
            let resample: Vec<Vote> = (0..votes.len())
                .map(|_| votes[rng.random_range(0..votes.len())].clone())
                .collect();
            let r = fit(&resample, PRIOR_GAMES);
            for name in point.keys() {
                // A contestant missing from a resample has no votes there: the prior's 1000.
                let x = r.get(name).copied().unwrap_or(BASE);
                samples.entry(name.as_str()).or_default().push(x);
            }
        }
    }
    let mut out: Vec<Rating> = point
        .iter()
        .map(|(name, &rating)| {
            let mut xs = samples.remove(name.as_str()).unwrap_or_default();
            xs.sort_by(f64::total_cmp);
            let ci = if xs.is_empty() {
                [rating, rating]
            } else {
                [percentile(&xs, 0.025), percentile(&xs, 0.975)]
            };
            let mut r = Rating {
                name: name.clone(),
                rating,
                ci,
                votes: 0,
                wins: 0,
                losses: 0,
                ties: 0,
            };
            for v in votes {
                let s = if &v.a == name {
                    v.verdict.score_a()
                } else if &v.b == name {
                    1.0 - v.verdict.score_a()
                } else {
                    continue;
                };
                r.votes += 1;
                match s {
                    1.0 => r.wins += 1,
                    0.0 => r.losses += 1,
                    _ => r.ties += 1,
                }
            }
            r
        })
        .collect();
    out.sort_by(|a, b| b.rating.total_cmp(&a.rating).then(a.name.cmp(&b.name)));
    out
}

#[cfg(test)]
mod tests {
    use super::super::vote::Verdict;
    use super::*;

    fn vote(a: &str, b: &str, verdict: Verdict) -> Vote {
        Vote {
            a: a.into(),
            b: b.into(),
            verdict,
        }
    }

    #[test]
    fn maximum_likelihood_matches_the_closed_form_for_two_players() {
        // X beats Y three times in four (on either side): p_X / p_Y = 3, so the gap is
        // 400·log10 3 = 190.85, centred on 1000.
        let votes = vec![
            vote("X", "Y", Verdict::A),
            vote("Y", "X", Verdict::B),
            vote("X", "Y", Verdict::A),
            vote("X", "Y", Verdict::B),
        ];
        let r = fit(&votes, 0.0);
        let gap = SCALE * 3f64.log10();
        assert!((r["X"] - (BASE + gap / 2.0)).abs() < 1e-6, "{r:?}");
        assert!((r["Y"] - (BASE - gap / 2.0)).abs() < 1e-6, "{r:?}");
        // Ties: 1 win, 1 loss and 2 draws is an even record.
        let even = vec![
            vote("X", "Y", Verdict::A),
            vote("X", "Y", Verdict::B),
            vote("X", "Y", Verdict::Tie),
            vote("Y", "X", Verdict::BothBad),
        ];
        let r = fit(&even, 0.0);
        assert!(
            (r["X"] - BASE).abs() < 1e-6 && (r["Y"] - BASE).abs() < 1e-6,
            "{r:?}"
        );
    }

    #[test]
    fn a_chain_orders_players_and_the_prior_keeps_an_unbeaten_one_finite() {
        // A beats B twice, B beats C twice, C beats A once: A > B > C overall.
        let votes = vec![
            vote("A", "B", Verdict::A),
            vote("B", "A", Verdict::B),
            vote("B", "C", Verdict::A),
            vote("C", "B", Verdict::B),
            vote("A", "C", Verdict::B),
        ];
        let r = ratings(&votes);
        let names: Vec<&str> = r.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["A", "B", "C"], "{r:?}");
        let a = &r[0];
        assert_eq!((a.votes, a.wins, a.losses, a.ties), (3, 2, 1, 0));
        assert!(a.ci[0] <= a.rating && a.rating <= a.ci[1], "{a:?}");
        assert_eq!(r, ratings(&votes), "fixed seed, same intervals");
        // Never beaten: finite, above 1000.
        let r = fit(&[vote("W", "L", Verdict::A)], PRIOR_GAMES);
        assert!(
            r["W"].is_finite() && r["W"] > BASE && r["L"] < BASE,
            "{r:?}"
        );
    }
}
