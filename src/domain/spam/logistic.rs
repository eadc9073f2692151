//! An online logistic regression over the same features as the naive Bayes model,
//! measured against it by `hewn spam evaluate --corpus` (the README says which the
//! filter uses and why). Not used to moderate comments.
//!
//! Each comment is a vector of its distinct features, each worth `1/sqrt(n)` (so a
//! long comment does not outweigh a short one); the score is the logistic of the
//! weights' sum plus a bias. It learns one comment at a time, in order, as decisions
//! would arrive: one gradient step per comment, each feature with its own AdaGrad
//! step size (rare features learn fast, common ones settle), and a light L2 penalty
//! on the features of the comment learnt.

use std::collections::HashMap;

use super::Label;

/// The base step size of AdaGrad.
const RATE: f64 = 0.5;
/// L2 penalty applied to the weights a step touches.
const L2: f64 = 1e-4;

/// A feature's weight and the sum of its squared gradients.
#[derive(Debug, Clone, Copy, Default)]
struct Weight {
    w: f64,
    g2: f64,
}

/// The model: a weight per feature seen, and a bias.
#[derive(Debug, Clone, Default)]
pub struct Logistic {
    weights: HashMap<String, Weight>,
    bias: Weight,
}

impl Logistic {
    /// The raw sum (log-odds of spam) for `features`.
    fn margin(&self, features: &[String]) -> f64 {
        let x = value(features);
        self.bias.w + features.iter().filter_map(|f| self.weights.get(f)).map(|w| w.w * x).sum::<f64>()
    }

    /// The spam probability of a comment with `features`, 0 to 1.
    pub fn score(&self, features: &[String]) -> f64 {
        1.0 / (1.0 + (-self.margin(features)).exp())
    }

    /// One online step on a comment with `features` and `label`.
    pub fn learn(&mut self, features: &[String], label: Label) {
        let y = if label == Label::Spam { 1.0 } else { 0.0 };
        let error = self.score(features) - y;
        let x = value(features);
        step(&mut self.bias, error, 0.0);
        for f in features {
            let w = self.weights.entry(f.clone()).or_default();
            step(w, error * x, L2);
        }
    }

    /// Features with a weight.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }
}

/// Each feature's value in a comment with `features`.
fn value(features: &[String]) -> f64 {
    1.0 / (features.len().max(1) as f64).sqrt()
}

/// An AdaGrad step on one weight with gradient `g` and penalty `l2`.
fn step(w: &mut Weight, g: f64, l2: f64) {
    let g = g + l2 * w.w;
    w.g2 += g * g;
    if w.g2 > 0.0 {
        w.w -= RATE * g / w.g2.sqrt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::spam::{Input, features};

    fn f(text: &str) -> Vec<String> {
        features::features(&Input { author: "Ann", email: "ann@example.org", url: "", text })
    }

    #[test]
    fn it_learns_to_tell_spam_from_ham_online() {
        let mut m = Logistic::default();
        assert!((m.score(&f("anything")) - 0.5).abs() < 1e-9, "untrained: one half");
        for i in 0..30 {
            m.learn(&f(&format!("cheap casino bonus at https://casino-xyz.example/{i} free spins")), Label::Spam);
            m.learn(&f(&format!("I liked the part about sourdough starters, thanks {i}")), Label::Ham);
        }
        assert!(m.score(&f("free casino spins at https://casino-xyz.example/new")) > 0.8);
        assert!(m.score(&f("Thanks, my sourdough starter liked this too")) < 0.2);
        assert!(!m.is_empty());
    }
}
