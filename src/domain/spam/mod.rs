//! The spam filter's model: a naive Bayes classifier over the features of
//! [`features`], learnt from the admin's decisions.
//!
//! Each feature counts the spam and the legitimate ("ham") comments it was seen in.
//! A comment's score adds, for each of its features seen before, the log of how much
//! likelier the feature is in spam than in ham (Laplace-smoothed with [`ALPHA`], each
//! class by its own size, so a site with far more spam than ham is not biased), keeps
//! the [`TOP`] strongest of them (so that the many overlapping n-grams of one word
//! do not count it many times) and squashes the sum, scaled by [`TEMPERATURE`], into
//! 0 to 1.
//!
//! Counts make learning exact to undo: a reversed decision subtracts what it added,
//! and updates from several instances add up in any order.

pub mod features;
pub mod logistic;

use std::collections::HashMap;

pub use features::{Input, describe};
pub use logistic::Logistic;

/// The smoothing pseudo-count.
pub const ALPHA: f64 = 1.0;
/// How many of a comment's strongest features make its score.
pub const TOP: usize = 40;
/// Divides the summed weights before they are squashed: naive Bayes adds up
/// evidence that overlaps (a word and its n-grams), so raw sums make every score 0
/// or 1; scaled, the scores spread out and thresholds between them mean something.
/// Chosen on the SpamAssassin corpus (README).
pub const TEMPERATURE: f64 = 10.0;
/// Shown to the admin: the strongest features of a score.
pub const SHOWN_REASONS: usize = 5;
/// The model may mark spam only after learning this many spam and this many ham
/// decisions; until then it only holds.
pub const MIN_TRAINING: i64 = 20;

/// Spam or not, as the admin decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Label {
    Spam,
    Ham,
}

impl Label {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spam => "spam",
            Self::Ham => "ham",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "spam" => Some(Self::Spam),
            "ham" => Some(Self::Ham),
            _ => None,
        }
    }
}

/// How many spam and ham comments a feature was seen in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub spam: i64,
    pub ham: i64,
}

/// A model, or the part of one a comment needs: the counts of some features, and how
/// many spam and ham comments were learnt.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub features: HashMap<String, Counts>,
    pub spam_docs: i64,
    pub ham_docs: i64,
}

/// A comment's score (0 to 1) and the features that moved it most, strongest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub score: f64,
    /// Each feature with its weight (positive: towards spam).
    pub reasons: Vec<(String, f64)>,
}

impl Verdict {
    /// The score in thousandths, as stored.
    pub fn thousandths(&self) -> i64 {
        (self.score * 1000.0).round().clamp(0.0, 1000.0) as i64
    }

    /// The reasons as stored: `feature\tweight` lines.
    pub fn reasons_text(&self) -> String {
        self.reasons
            .iter()
            .map(|(f, w)| format!("{}\t{w:.2}", f.replace(['\t', '\n'], " ")))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Reads [`reasons_text`](Self::reasons_text) back.
    pub fn parse_reasons(text: &str) -> Vec<(String, f64)> {
        text.lines()
            .filter_map(|l| l.rsplit_once('\t'))
            .filter_map(|(f, w)| w.parse::<f64>().ok().map(|w| (f.to_owned(), w)))
            .collect()
    }
}

impl Model {
    /// True once the model has seen enough of both kinds to mark spam.
    pub fn is_trained(&self) -> bool {
        self.spam_docs >= MIN_TRAINING && self.ham_docs >= MIN_TRAINING
    }

    /// Adds (`sign` 1) or removes (`sign` -1) one comment with `features` and `label`.
    pub fn learn(&mut self, features: &[String], label: Label, sign: i64) {
        for f in features {
            let c = self.features.entry(f.clone()).or_default();
            match label {
                Label::Spam => c.spam = (c.spam + sign).max(0),
                Label::Ham => c.ham = (c.ham + sign).max(0),
            }
        }
        match label {
            Label::Spam => self.spam_docs = (self.spam_docs + sign).max(0),
            Label::Ham => self.ham_docs = (self.ham_docs + sign).max(0),
        }
    }

    /// The weight of one feature: log-likelihood ratio of spam over ham, 0 for a
    /// feature never seen.
    pub fn weight(&self, feature: &str) -> f64 {
        let Some(c) = self.features.get(feature) else { return 0.0 };
        if c.spam + c.ham == 0 {
            return 0.0;
        }
        let p_spam = (c.spam as f64 + ALPHA) / (self.spam_docs as f64 + 2.0 * ALPHA);
        let p_ham = (c.ham as f64 + ALPHA) / (self.ham_docs as f64 + 2.0 * ALPHA);
        (p_spam / p_ham).ln()
    }

    /// Scores a comment's features.
    pub fn score(&self, features: &[String]) -> Verdict {
        let mut weights: Vec<(&str, f64)> = features
            .iter()
            .filter_map(|f| {
                let w = self.weight(f);
                (w != 0.0 && w.is_finite()).then_some((f.as_str(), w))
            })
            .collect();
        let strongest = |a: &(&str, f64), b: &(&str, f64)| b.1.abs().total_cmp(&a.1.abs()).then_with(|| a.0.cmp(b.0));
        if weights.len() > TOP {
            weights.select_nth_unstable_by(TOP, strongest);
            weights.truncate(TOP);
        }
        weights.sort_unstable_by(strongest);
        let sum: f64 = weights.iter().map(|(_, w)| w).sum();
        let score = 1.0 / (1.0 + (-sum / TEMPERATURE).exp());
        let reasons = weights.iter().take(SHOWN_REASONS).map(|(f, w)| ((*f).to_owned(), *w)).collect();
        Verdict { score, reasons }
    }
}

/// A submission's score, as the moderation rules see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpamScore {
    /// 0 (legitimate) to 1 (spam).
    pub score: f64,
    /// The model has learnt enough to mark spam (see [`MIN_TRAINING`]).
    pub trained: bool,
}

/// A submission's verdict, carried with it to the writer (which stores it with a held
/// or spam comment).
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub verdict: Verdict,
    pub trained: bool,
}

impl Scored {
    pub fn score(&self) -> SpamScore {
        SpamScore { score: self.verdict.score, trained: self.trained }
    }
}

/// The share of spam and ham comments scoring at or above each threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub spam: usize,
    pub ham: usize,
    /// `(threshold, spam at or above, ham at or above)`.
    pub rows: Vec<(f64, usize, usize)>,
}

/// Thresholds an evaluation reports.
pub const THRESHOLDS: &[f64] = &[0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999];

/// Counts the scored comments at or above each threshold of [`THRESHOLDS`].
pub fn evaluate(scored: &[(Label, f64)]) -> Evaluation {
    let spam = scored.iter().filter(|(l, _)| *l == Label::Spam).count();
    let rows = THRESHOLDS
        .iter()
        .map(|t| {
            let at = |label| scored.iter().filter(|(l, s)| *l == label && *s >= *t).count();
            (*t, at(Label::Spam), at(Label::Ham))
        })
        .collect();
    Evaluation { spam, ham: scored.len() - spam, rows }
}

/// K-fold cross-validation over labelled feature lists: each comment is scored by a
/// model trained on the other folds (fold = position modulo `folds`).
pub fn cross_validate(docs: &[(Label, Vec<String>)], folds: usize) -> Vec<(Label, f64)> {
    let folds = folds.max(2);
    let mut all = Model::default();
    for (label, f) in docs {
        all.learn(f, *label, 1);
    }
    let mut scored = Vec::with_capacity(docs.len());
    for k in 0..folds {
        let mut model = all.clone();
        for (label, f) in docs.iter().skip(k).step_by(folds) {
            model.learn(f, *label, -1);
        }
        for (label, f) in docs.iter().skip(k).step_by(folds) {
            scored.push((*label, model.score(f).score));
        }
    }
    scored
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn f(text: &str) -> Vec<String> {
        features::features(&Input { author: "Ann", email: "ann@example.org", url: "", text })
    }

    fn trained() -> Model {
        let mut m = Model::default();
        for i in 0..25 {
            m.learn(&f(&format!("cheap casino bonus at https://casino-xyz.example/{i} free spins")), Label::Spam, 1);
            m.learn(&f(&format!("I liked the part about sourdough starters, thanks {i}")), Label::Ham, 1);
        }
        m
    }

    #[test]
    fn an_untrained_model_scores_everything_one_half() {
        let m = Model::default();
        assert!((m.score(&f("anything at all")).score - 0.5).abs() < 1e-9);
        assert!(!m.is_trained());
    }

    #[test]
    fn a_trained_model_tells_spam_from_ham_and_says_why() {
        let m = trained();
        assert!(m.is_trained());
        let spam = m.score(&f("free casino spins at https://casino-xyz.example/new"));
        let ham = m.score(&f("Thanks, my sourdough starter liked this too"));
        assert!(spam.score > 0.9, "{spam:?}");
        assert!(ham.score < 0.1, "{ham:?}");
        assert_eq!(spam.reasons.len(), SHOWN_REASONS);
        assert!(spam.reasons.windows(2).all(|w| w[0].1.abs() >= w[1].1.abs()));
        assert!(spam.reasons.iter().all(|(_, w)| *w > 0.0), "{spam:?}");
    }

    #[test]
    fn unlearning_restores_the_model_exactly() {
        let mut m = trained();
        let before = m.clone();
        let doc = f("a brand new comment about casino sourdough");
        m.learn(&doc, Label::Spam, 1);
        assert_ne!(m.score(&doc), before.score(&doc));
        m.learn(&doc, Label::Spam, -1);
        assert_eq!(m.score(&doc), before.score(&doc));
        assert_eq!((m.spam_docs, m.ham_docs), (before.spam_docs, before.ham_docs));
    }

    #[test]
    fn reasons_survive_storage() {
        let v = Verdict { score: 0.9, reasons: vec![("w:free".into(), 1.5), ("d:x.example".into(), -0.25)] };
        assert_eq!(Verdict::parse_reasons(&v.reasons_text()), v.reasons);
        assert_eq!(v.thousandths(), 900);
    }

    #[test]
    fn cross_validation_scores_every_comment_once() {
        let docs: Vec<(Label, Vec<String>)> = (0..40)
            .map(|i| {
                if i % 2 == 0 {
                    (Label::Spam, f(&format!("casino bonus {i}")))
                } else {
                    (Label::Ham, f(&format!("sourdough bread {i}")))
                }
            })
            .collect();
        let scored = cross_validate(&docs, 10);
        assert_eq!(scored.len(), 40);
        let e = evaluate(&scored);
        assert_eq!((e.spam, e.ham), (20, 20));
        let at_half = e.rows.iter().find(|r| r.0 == 0.5).map(|r| (r.1, r.2));
        assert_eq!(at_half, Some((20, 0)));
    }
}
