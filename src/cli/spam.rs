//! `hewn spam retrain` and `hewn spam evaluate`: rebuilding the spam filter's model
//! from every stored decision, and measuring it, on this site's decisions
//! (cross-validation) or on a labelled corpus file (a learning curve, for `bench/`).

use std::io::BufRead;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde::Deserialize;

use crate::config::Cli;
use crate::domain::spam::{self, Evaluation, Input, Label, Logistic, Model};
use crate::store;

#[derive(Debug, Args)]
pub struct SpamArgs {
    #[command(subcommand)]
    pub command: SpamCommand,
}

#[derive(Debug, Subcommand)]
pub enum SpamCommand {
    /// Rebuild the spam filter's model from every stored decision.
    Retrain,
    /// Measure the spam filter: cross-validation on this site's stored decisions, or
    /// a learning curve on a labelled corpus (--corpus).
    Evaluate(EvaluateArgs),
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Folds of the cross-validation on the stored decisions.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(2..=100))]
    pub folds: u16,
    /// A labelled corpus instead of the site's decisions: JSON lines with `label`
    /// ("spam" or "ham"), `text`, and optionally `author`, `email`, `url`.
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// With --corpus: train on the first N messages for each N, test on the last
    /// --test messages.
    #[arg(long, value_delimiter = ',', default_value = "50,200,1000")]
    pub curve: Vec<usize>,
    /// With --corpus: how many messages, from the end, are the test set.
    #[arg(long, default_value_t = 1000)]
    pub test: usize,
}

pub async fn run(cli: &Cli, args: &SpamArgs) -> anyhow::Result<()> {
    match &args.command {
        SpamCommand::Retrain => {
            let store = open(cli).await?;
            let stats = store::spam::retrain(&store).await?;
            println!(
                "Learnt {} spam and {} legitimate comments; the model has {} features.",
                stats.spam_docs, stats.ham_docs, stats.features
            );
            store.close().await;
            Ok(())
        }
        SpamCommand::Evaluate(e) => match &e.corpus {
            Some(path) => corpus_curve(path, &e.curve, e.test),
            None => {
                let store = open(cli).await?;
                let settings = store::settings::load_values(&store).await?;
                let docs = store::spam::decisions(&store).await?;
                store.close().await;
                if docs.is_empty() {
                    println!("No decisions stored yet: approve or mark spam some comments first.");
                    return Ok(());
                }
                let scored = spam::cross_validate(&docs, usize::from(e.folds));
                print!("{}", report(&scored, &settings.discussion));
                Ok(())
            }
        },
    }
}

async fn open(cli: &Cli) -> anyhow::Result<store::Store> {
    let database = cli.database()?;
    let store = store::Store::open(&database).await?;
    store::migrate(&store).await?;
    Ok(store)
}

fn percent(n: usize, of: usize) -> f64 {
    if of == 0 { 0.0 } else { n as f64 * 100.0 / of as f64 }
}

/// The table `evaluate` prints: per threshold, the spam at or above it (caught, if it
/// is the hold threshold) and the legitimate comments at or above it (marked spam,
/// if it is the spam threshold); then what the site's thresholds give.
pub fn report(scored: &[(Label, f64)], rules: &crate::domain::settings::Discussion) -> String {
    let e: Evaluation = spam::evaluate(scored);
    let mut out =
        format!("{} spam and {} legitimate comments, each scored by a model that did not learn it.\n", e.spam, e.ham);
    out.push_str("threshold  spam at or above  legitimate at or above\n");
    for (t, s, h) in &e.rows {
        out.push_str(&format!(
            "{:>9.3}  {:>6} ({:>5.1}%)   {:>6} ({:>5.2}%)\n",
            t,
            s,
            percent(*s, e.spam),
            h,
            percent(*h, e.ham)
        ));
    }
    let (spam_t, hold_t) = (f64::from(rules.spam_threshold) / 100.0, f64::from(rules.hold_threshold) / 100.0);
    let caught = scored.iter().filter(|(l, s)| *l == Label::Spam && *s >= hold_t).count();
    let marked = scored.iter().filter(|(l, s)| *l == Label::Ham && *s >= spam_t).count();
    let held = scored.iter().filter(|(l, s)| *l == Label::Ham && *s >= hold_t && *s < spam_t).count();
    out.push_str(&format!(
        "At the site's thresholds (spam {}%, hold {}%): spam caught (spam or held) {caught} ({:.1}%), \
         legitimate marked spam {marked} ({:.2}%), legitimate held {held} ({:.2}%).\n",
        rules.spam_threshold,
        rules.hold_threshold,
        percent(caught, e.spam),
        percent(marked, e.ham),
        percent(held, e.ham)
    ));
    out
}

#[derive(Debug, Deserialize)]
struct CorpusLine {
    label: String,
    text: String,
    #[serde(default)]
    author: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    url: String,
}

/// A model the learning curve measures: the filter's naive Bayes, or the online
/// logistic regression it was compared with (README).
trait Learner: Default {
    const NAME: &'static str;
    fn learn(&mut self, features: &[String], label: Label);
    fn score(&self, features: &[String]) -> f64;
}

impl Learner for Model {
    const NAME: &'static str = "naive Bayes (the filter's model)";
    fn learn(&mut self, features: &[String], label: Label) {
        Model::learn(self, features, label, 1);
    }
    fn score(&self, features: &[String]) -> f64 {
        Model::score(self, features).score
    }
}

impl Learner for Logistic {
    const NAME: &'static str = "online logistic regression (compared, not used)";
    fn learn(&mut self, features: &[String], label: Label) {
        Logistic::learn(self, features, label);
    }
    fn score(&self, features: &[String]) -> f64 {
        Logistic::score(self, features)
    }
}

/// The learning curve on a labelled corpus, for each model: for each training size,
/// spam not published (held or spam), legitimate marked spam and held, at the
/// default thresholds, and the scoring time.
fn corpus_curve(path: &PathBuf, curve: &[usize], test: usize) -> anyhow::Result<()> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut docs: Vec<(Label, Vec<String>)> = Vec::new();
    let mut inputs: Vec<CorpusLine> = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let c: CorpusLine = serde_json::from_str(&line).with_context(|| format!("line {}", i + 1))?;
        let label = Label::parse(&c.label).with_context(|| format!("line {}: label must be spam or ham", i + 1))?;
        let f = spam::features::features(&Input { author: &c.author, email: &c.email, url: &c.url, text: &c.text });
        docs.push((label, f));
        inputs.push(c);
    }
    anyhow::ensure!(docs.len() > test, "the corpus has {} messages, not more than --test {test}", docs.len());
    let rules = crate::domain::settings::Discussion::default();
    println!(
        "{} messages; test set: the last {test}; thresholds: spam {}, hold {}",
        docs.len(),
        f64::from(rules.spam_threshold) / 100.0,
        f64::from(rules.hold_threshold) / 100.0
    );
    curve_of::<Model>(&docs, &inputs, curve, test, &rules);
    curve_of::<Logistic>(&docs, &inputs, curve, test, &rules);
    Ok(())
}

/// [`corpus_curve`] for one model.
fn curve_of<L: Learner>(
    docs: &[(Label, Vec<String>)],
    inputs: &[CorpusLine],
    curve: &[usize],
    test: usize,
    rules: &crate::domain::settings::Discussion,
) {
    let (train, tests) = docs.split_at(docs.len() - test);
    let (spam_t, hold_t) = (f64::from(rules.spam_threshold) / 100.0, f64::from(rules.hold_threshold) / 100.0);
    let test_spam = tests.iter().filter(|(l, _)| *l == Label::Spam).count();
    let test_ham = tests.len() - test_spam;
    println!("\n{}; test set {test_spam} spam, {test_ham} legitimate", L::NAME);
    println!("trained on  spam not published  legitimate marked spam  legitimate held  scoring (µs/message)");
    for n in curve {
        let n = (*n).min(train.len());
        let mut model = L::default();
        for (label, f) in train.iter().take(n) {
            model.learn(f, *label);
        }
        let test_inputs = inputs.iter().skip(docs.len() - test);
        let started = Instant::now();
        let mut scored = Vec::with_capacity(tests.len());
        for ((label, _), c) in tests.iter().zip(test_inputs) {
            let f = spam::features::features(&Input { author: &c.author, email: &c.email, url: &c.url, text: &c.text });
            scored.push((*label, model.score(&f)));
        }
        let micros = started.elapsed().as_secs_f64() * 1e6 / tests.len().max(1) as f64;
        let caught = scored.iter().filter(|(l, s)| *l == Label::Spam && *s >= hold_t).count();
        let marked = scored.iter().filter(|(l, s)| *l == Label::Ham && *s >= spam_t).count();
        let held = scored.iter().filter(|(l, s)| *l == Label::Ham && *s >= hold_t && *s < spam_t).count();
        println!(
            "{n:>10}  {caught:>5} ({:>5.1}%)      {marked:>5} ({:>5.2}%)         {held:>4} ({:>5.2}%)   {micros:>8.1}",
            percent(caught, test_spam),
            percent(marked, test_ham),
            percent(held, test_ham)
        );
        if n == *curve.last().unwrap_or(&0) {
            print!("{}", report(&scored, rules));
        }
    }
}
