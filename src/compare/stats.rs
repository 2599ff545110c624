//! Honest numbers for an evaluation: 95 % intervals for accuracy (Wilson score) and macro-F1
//! (percentile bootstrap over rows, fixed seed), and an exact McNemar test for every pair of
//! variants scored on the same rows, so that a few points of accuracy on 120 rows are not read as
//! a finding when they may be noise.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::eval::{RowPrediction, VariantEval};
use super::metrics::Confusion;

/// The normal quantile for a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;
/// Below this p-value a paired difference is called significant.
pub const SIGNIFICANCE: f64 = 0.05;
/// Bootstrap resamples for the macro-F1 interval: enough for stable 2.5/97.5 percentiles on a
/// few hundred rows, cheap next to one model call.
pub const BOOTSTRAP_REPS: usize = 2000;
/// Fixed so that the same predictions always give the same interval.
pub const BOOTSTRAP_SEED: u64 = 16;

/// The Wilson score interval for `k` successes in `n` trials (95 %). Unlike the normal
/// approximation it stays inside [0, 1] and is not degenerate at 0 or n successes.
pub fn wilson(k: usize, n: usize) -> [f64; 2] {
    if n == 0 {
        return [0.0, 0.0];
    }
    let (k, n) = (k as f64, n as f64);
    let z2 = Z95 * Z95;
    let p = k / n;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z95 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    [(centre - half).max(0.0), (centre + half).min(1.0)]
}

/// A 95 % percentile-bootstrap interval of macro-F1 over `(true, predicted)` rows, resampled
/// with replacement `BOOTSTRAP_REPS` times from a fixed seed.
pub fn bootstrap_macro_f1(rows: &[(usize, Option<usize>)], n_labels: usize) -> [f64; 2] {
    if rows.is_empty() {
        return [0.0, 0.0];
    }
    let mut rng = StdRng::seed_from_u64(BOOTSTRAP_SEED);
    let mut f1s: Vec<f64> = (0..BOOTSTRAP_REPS)
        .map(|_| {
            let mut c = Confusion::new(n_labels);
            for _ in 0..rows.len() {
                let (t, p) = rows[rng.random_range(0..rows.len())];
                c.add(t, p);
            }
            c.macro_f1()
        })
        .collect();
    f1s.sort_by(f64::total_cmp);
    [percentile(&f1s, 0.025), percentile(&f1s, 0.975)]
}

/// Linear interpolation between the closest ranks of sorted `xs`.
pub fn percentile(xs: &[f64], q: f64) -> f64 {
    let pos = q * (xs.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    xs[lo] + (xs[hi] - xs[lo]) * (pos - lo as f64)
}

/// Two-sided exact McNemar test: `b` rows only the first variant got right, `c` only the second.
/// Under the null hypothesis each discordant row is a fair coin, so p = P(X ≤ min(b, c)) doubled
/// for X ~ Binomial(b + c, ½), capped at 1.
pub fn mcnemar_exact(b: usize, c: usize) -> f64 {
    let n = b + c;
    if n == 0 {
        return 1.0;
    }
    let m = b.min(c);
    // ln C(n, k) built up term by term, so that large n neither overflows nor underflows.
    let ln_half_n = n as f64 * std::f64::consts::LN_2;
    let mut ln_choose = 0.0;
    let mut tail = 0.0;
    for k in 0..=m {
        if k > 0 {
            ln_choose += ((n - k + 1) as f64).ln() - (k as f64).ln();
        }
        tail += (ln_choose - ln_half_n).exp();
    }
    (2.0 * tail).min(1.0)
}

/// The paired comparison of variants `a` and `b` (indices into `EvalResult::variants`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    pub a: usize,
    pub b: usize,
    /// Rows both variants predicted (rows either failed on are left out).
    pub rows: usize,
    /// Rows only `a` got right.
    pub only_a: usize,
    /// Rows only `b` got right.
    pub only_b: usize,
    /// Exact McNemar p-value.
    pub p_value: f64,
}

impl Paired {
    pub fn significant(&self) -> bool {
        self.p_value < SIGNIFICANCE
    }
}

fn right(p: &RowPrediction) -> Option<bool> {
    p.error.is_none().then(|| p.predicted == Some(p.label))
}

/// One exact McNemar test per pair of variants that share evaluated rows.
pub fn paired_tests(variants: &[VariantEval]) -> Vec<Paired> {
    let mut out = Vec::new();
    for a in 0..variants.len() {
        for b in a + 1..variants.len() {
            let by_row: std::collections::HashMap<usize, bool> = variants[b]
                .predictions
                .iter()
                .filter_map(|p| right(p).map(|r| (p.row, r)))
                .collect();
            let (mut rows, mut only_a, mut only_b) = (0, 0, 0);
            for p in &variants[a].predictions {
                let (Some(ra), Some(&rb)) = (right(p), by_row.get(&p.row)) else {
                    continue;
                };
                rows += 1;
                match (ra, rb) {
                    (true, false) => only_a += 1,
                    (false, true) => only_b += 1,
                    _ => {}
                }
            }
            if rows > 0 {
                out.push(Paired {
                    a,
                    b,
                    rows,
                    only_a,
                    only_b,
                    p_value: mcnemar_exact(only_a, only_b),
                });
            }
        }
    }
    out
}

/// `(true, predicted)` of the rows a variant predicted, for the bootstrap.
pub fn outcomes(predictions: &[RowPrediction]) -> Vec<(usize, Option<usize>)> {
    predictions
        .iter()
        .filter(|p| p.error.is_none())
        .map(|p| (p.label, p.predicted))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_hand_computed_values() {
        // 8 of 10: p = .8, z² = 3.8415; centre = (.8 + .19207)/1.38415 = .71674,
        // half = 1.95996/1.38415 · sqrt(.016 + .0096037) = .22657 → [.4902, .9433].
        let [lo, hi] = wilson(8, 10);
        assert!(
            (lo - 0.4902).abs() < 1e-4 && (hi - 0.9433).abs() < 1e-4,
            "{lo} {hi}"
        );
        // 0 of 10 is not the degenerate [0, 0] of the normal approximation.
        let [lo, hi] = wilson(0, 10);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.2775).abs() < 1e-4, "{hi}");
        assert_eq!(wilson(0, 0), [0.0, 0.0]);
    }

    #[test]
    fn mcnemar_matches_the_binomial_tail() {
        // b = 1, c = 5: 2 · (1 + 6)/64 = 0.21875.
        assert!((mcnemar_exact(1, 5) - 0.21875).abs() < 1e-12);
        // b = 0, c = 6: 2/64 = 0.03125, significant.
        assert!((mcnemar_exact(6, 0) - 0.03125).abs() < 1e-12);
        // equal counts: the tail passes one half, so p is capped at 1.
        assert_eq!(mcnemar_exact(3, 3), 1.0);
        assert_eq!(mcnemar_exact(0, 0), 1.0);
        // large n stays finite: b = 400, c = 600 is far from chance.
        let p = mcnemar_exact(400, 600);
        assert!(p > 0.0 && p < 1e-9, "{p}");
    }

    #[test]
    fn bootstrap_is_fixed_and_brackets_the_estimate() {
        let rows: Vec<(usize, Option<usize>)> = (0..40)
            .map(|i| (i % 2, Some(if i % 5 == 0 { 1 - i % 2 } else { i % 2 })))
            .collect();
        let a = bootstrap_macro_f1(&rows, 2);
        assert_eq!(a, bootstrap_macro_f1(&rows, 2), "same seed, same interval");
        let mut c = Confusion::new(2);
        for &(t, p) in &rows {
            c.add(t, p);
        }
        let f1 = c.macro_f1();
        assert!(
            a[0] < f1 && f1 < a[1] && a[1] - a[0] < 0.4,
            "{a:?} around {f1}"
        );
        // Every row right: every resample scores 1.
        let perfect: Vec<_> = (0..10).map(|i| (i % 2, Some(i % 2))).collect();
        assert_eq!(bootstrap_macro_f1(&perfect, 2), [1.0, 1.0]);
    }
}
