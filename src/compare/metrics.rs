//! Classification figures over predictions: confusion matrix, accuracy, macro-F1 and the mean
//! probability given to the true label.

use serde::{Deserialize, Serialize};

/// Counts of (true label, predicted label); a prediction that named no label (`--method
/// generate` can answer anything) is counted in `unmatched` for its true label, so that
/// `confusion` plus `unmatched` always sums to the rows evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confusion {
    /// `matrix[t][p]`: rows whose true label is `t` and whose prediction is `p`.
    pub matrix: Vec<Vec<u32>>,
    pub unmatched: Vec<u32>,
}

impl Confusion {
    pub fn new(n_labels: usize) -> Self {
        Confusion {
            matrix: vec![vec![0; n_labels]; n_labels],
            unmatched: vec![0; n_labels],
        }
    }

    pub fn add(&mut self, truth: usize, predicted: Option<usize>) {
        match predicted {
            Some(p) => self.matrix[truth][p] += 1,
            None => self.unmatched[truth] += 1,
        }
    }

    pub fn total(&self) -> u32 {
        self.matrix.iter().flatten().sum::<u32>() + self.unmatched.iter().sum::<u32>()
    }

    pub fn correct(&self) -> u32 {
        (0..self.matrix.len()).map(|i| self.matrix[i][i]).sum()
    }

    pub fn accuracy(&self) -> f64 {
        ratio(self.correct() as f64, self.total() as f64)
    }

    /// F1 of each label (0 when it has neither true rows nor predictions: such a label is
    /// left out of the macro average, as it says nothing about the classifier).
    pub fn f1_per_label(&self) -> Vec<Option<f64>> {
        let n = self.matrix.len();
        (0..n)
            .map(|k| {
                let tp = self.matrix[k][k] as f64;
                let predicted: u32 = (0..n).map(|t| self.matrix[t][k]).sum();
                let actual: u32 = self.matrix[k].iter().sum::<u32>() + self.unmatched[k];
                if predicted == 0 && actual == 0 {
                    return None;
                }
                let precision = ratio(tp, predicted as f64);
                let recall = ratio(tp, actual as f64);
                Some(ratio(2.0 * precision * recall, precision + recall))
            })
            .collect()
    }

    pub fn macro_f1(&self) -> f64 {
        let f1s: Vec<f64> = self.f1_per_label().into_iter().flatten().collect();
        ratio(f1s.iter().sum(), f1s.len() as f64)
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        a / b
    }
}

/// Running mean, for the probability of the true label.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Mean {
    sum: f64,
    n: u32,
}

impl Mean {
    pub fn add(&mut self, x: f64) {
        self.sum += x;
        self.n += 1;
    }
    pub fn get(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_match_a_hand_computed_case() {
        // truth: 3 positive (0), 2 negative (1); one positive predicted negative, one negative
        // with no label at all.
        let mut c = Confusion::new(2);
        for (t, p) in [
            (0, Some(0)),
            (0, Some(0)),
            (0, Some(1)),
            (1, Some(1)),
            (1, None),
        ] {
            c.add(t, p);
        }
        assert_eq!(c.total(), 5);
        assert_eq!(c.matrix, vec![vec![2, 1], vec![0, 1]]);
        assert!((c.accuracy() - 0.6).abs() < 1e-12);
        // positive: P = 2/2, R = 2/3, F1 = 0.8; negative: P = 1/2, R = 1/2, F1 = 0.5.
        let f1 = c.f1_per_label();
        assert!((f1[0].unwrap() - 0.8).abs() < 1e-12);
        assert!((f1[1].unwrap() - 0.5).abs() < 1e-12);
        assert!((c.macro_f1() - 0.65).abs() < 1e-12);
    }

    #[test]
    fn empty_and_absent_labels_do_not_divide_by_zero() {
        let c = Confusion::new(3);
        assert_eq!(c.accuracy(), 0.0);
        assert_eq!(c.macro_f1(), 0.0);
        let mut c = Confusion::new(3);
        c.add(0, Some(0));
        assert_eq!(c.f1_per_label(), vec![Some(1.0), None, None]);
        assert_eq!(c.macro_f1(), 1.0);
        assert_eq!(Mean::default().get(), None);
    }
}
