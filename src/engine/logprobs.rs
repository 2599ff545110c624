//! Log-probabilities from raw logits: the chosen token's, and the most likely alternatives.
//! This runs over the whole vocabulary (up to 262k entries) for every generated token, so it is
//! written to vectorize: a polynomial exp instead of libm's, many accumulators, no branches.

/// exp(x) for x <= 0 within about 3e-6 relative error: 2^(x·log2 e) split into an integer power
/// of two and a degree-5 polynomial on [-0.5, 0.5]. Branch-free, so loops over it vectorize.
#[inline(always)]
fn exp_neg(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // Below -87 the result is under f32's normal range; treat it as 0 contribution.
    let x = x.max(-87.0);
    let t = x * LOG2E;
    // Round to nearest with the 1.5·2^23 trick (no libm call, vectorizes on plain SSE2).
    let r = (t + 12_582_912.0) - 12_582_912.0;
    let f = t - r;
    let p = 1.0
        + f * (std::f32::consts::LN_2
            + f * (0.240_226_5 + f * (0.055_504_11 + f * (0.009_618_13 + f * 0.001_333_355))));
    let scale = f32::from_bits(((r as i32 + 127) << 23) as u32);
    p * scale
}

/// log(sum(exp(logits))), computed stably.
pub(crate) fn log_sum_exp(logits: &[f32]) -> f32 {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        return max;
    }
    let mut acc = [0.0f32; 8];
    let chunks = logits.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for i in 0..8 {
            acc[i] += exp_neg(c[i] - max);
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for &l in rest {
        sum += exp_neg(l - max);
    }
    max + sum.ln()
}

/// The `n` highest logits as (token id, logit), highest first; ties keep the lower id first, as
/// llama.cpp's greedy sampler does. One pass, no full sort.
pub(crate) fn top_n(logits: &[f32], n: usize) -> Vec<(i32, f32)> {
    let mut best: Vec<(i32, f32)> = Vec::with_capacity(n + 1);
    let mut floor = f32::NEG_INFINITY;
    for (i, &l) in logits.iter().enumerate() {
        if best.len() == n && l <= floor {
            continue;
        }
        let at = best.partition_point(|&(_, b)| b >= l);
        best.insert(at, (i as i32, l));
        best.truncate(n);
        if best.len() == n {
            floor = best[n - 1].1;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lse_matches_the_exact_formula() {
        let l: Vec<f32> = (0..50_001)
            .map(|i| ((i * 7919) % 1000) as f32 / 50.0 - 10.0)
            .collect();
        let exact = {
            let m = l.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
            m + l.iter().map(|&x| (x as f64 - m).exp()).sum::<f64>().ln()
        };
        assert!(
            (log_sum_exp(&l) as f64 - exact).abs() < 1e-4,
            "{} vs {exact}",
            log_sum_exp(&l)
        );
        for x in [-0.0f32, -0.3, -1.0, -5.5, -20.0, -80.0] {
            let rel = ((exp_neg(x) - x.exp()) / x.exp()).abs();
            assert!(rel < 5e-6, "exp({x}): rel {rel}");
        }
        assert_eq!(exp_neg(-1000.0).min(1e-30), exp_neg(-1000.0));
    }

    #[test]
    fn top_n_orders_and_breaks_ties_by_id() {
        let l = [1.0f32, 3.0, 2.0, 3.0, 0.5];
        assert_eq!(top_n(&l, 3), vec![(1, 3.0), (3, 3.0), (2, 2.0)]);
        assert_eq!(top_n(&l, 1), vec![(1, 3.0)]);
    }
}
