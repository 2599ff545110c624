//! Log-probabilities from raw logits: the chosen token's, and the most likely alternatives.

/// log(sum(exp(logits))), computed stably.
pub(crate) fn log_sum_exp(logits: &[f32]) -> f32 {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        return max;
    }
    let sum: f32 = logits.iter().map(|&l| (l - max).exp()).sum();
    max + sum.ln()
}

/// The `n` highest logits as (token id, logit), highest first. One pass, no full sort: the
/// vocabulary can be 262k entries and this runs for every generated token.
pub(crate) fn top_n(logits: &[f32], n: usize) -> Vec<(i32, f32)> {
    let mut best: Vec<(i32, f32)> = Vec::with_capacity(n + 1);
    for (i, &l) in logits.iter().enumerate() {
        if best.len() == n && best.last().is_some_and(|&(_, b)| l <= b) {
            continue;
        }
        let at = best.partition_point(|&(_, b)| b >= l);
        best.insert(at, (i as i32, l));
        best.truncate(n);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lse_and_top_n() {
        let l = [1.0f32, 3.0, 2.0, 0.5];
        let lse = log_sum_exp(&l);
        let direct = l.iter().map(|x| x.exp()).sum::<f32>().ln();
        assert!((lse - direct).abs() < 1e-5);
        assert_eq!(top_n(&l, 2), vec![(1, 3.0), (2, 2.0)]);
    }
}
