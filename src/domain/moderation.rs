//! The moderation pipeline: what happens to a valid comment submission.
//!
//! The rules apply in this order; the first that decides wins:
//!
//! 1. `honeypot`: the hidden honeypot field is filled → **spam** (answered like a success).
//! 2. `blocklist`: a block-list word appears in the name, email, URL, text, IP or user
//!    agent → **spam**.
//! 3. flood control: the same client commented less than `flood_seconds` ago → refused
//!    with 429 and `Retry-After`; nothing is stored.
//! 4. duplicate (`duplicate_check`, on by default): the same post already has this text
//!    from the same email or name (not counting trash) → refused with 409; nothing is
//!    stored.
//! 5. closed by age: the post is older than `close_after_days` → refused with 403.
//! 6. `spam-filter` (on by default): the learned filter's score (see
//!    `domain::spam`) at or above the spam threshold → **spam**, at or above the hold
//!    threshold → **pending**. It only holds while the model has learnt fewer than 20
//!    spam and 20 legitimate comments, for a known approved author, and with "hold
//!    instead of spam" on.
//!    `too-fast`: the form was sent less than `min_seconds` after the page that
//!    carries it was rendered (its signed render time) → **pending**.
//! 7. `links`: the text has `max_links` links or more → **pending**;
//!    `moderation-words`: a moderation-list word appears (same fields as the block list)
//!    → **pending**; `manual`: every comment must be approved manually → **pending**.
//! 8. prior approval (on by default): an author (same email and name) with an approved
//!    comment → **approved** (`known-author`), anyone else → **pending**
//!    (`first-comment`). With the rule off, the comment is **approved** (`open`).
//!
//! Rules 1 to 5 need no rendering: the form runs them ([`precheck`]) before it renders
//! the text, and all of them again, with facts read under the write lock, as it stores.
//! For a short text ([`facts_before_rendering`]) it runs them before rendering without
//! the facts it would have to read first, so flood control and the duplicate check
//! (rules 3 and 4) meet it only as it is stored.
//!
//! The rule that decided is stored with the comment (`comments.rule`), so the admin can
//! see why a comment was held. The names are stable: see [`Rule::as_str`].

use super::settings::Discussion;
use super::status::CommentStatus;

/// Seconds in a day, for `close_after_days`.
const DAY: i64 = 24 * 60 * 60;

/// The rule that decided a stored comment's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Honeypot,
    Blocklist,
    SpamFilter,
    TooFast,
    Links,
    ModerationWords,
    Manual,
    FirstComment,
    KnownAuthor,
    Open,
}

impl Rule {
    /// The value of `comments.rule`: short, stable, shown to the admin.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Honeypot => "honeypot",
            Self::Blocklist => "blocklist",
            Self::SpamFilter => "spam-filter",
            Self::TooFast => "too-fast",
            Self::Links => "links",
            Self::ModerationWords => "moderation-words",
            Self::Manual => "manual",
            Self::FirstComment => "first-comment",
            Self::KnownAuthor => "known-author",
            Self::Open => "open",
        }
    }
}

/// What to do with a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Store it with this status, decided by this rule.
    Store { status: CommentStatus, rule: Rule },
    /// The client commented too recently: retry after this many seconds.
    Flood { retry_after: u64 },
    /// The same comment is already there.
    Duplicate,
    /// Comments on this post closed with age.
    Closed,
}

/// The submission as the rules see it.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub author: &'a str,
    pub email: &'a str,
    pub url: &'a str,
    pub text: &'a str,
    /// Links in the rendered text.
    pub links: usize,
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub honeypot_filled: bool,
    /// The spam filter's score, when the filter is on and scored it.
    pub spam: Option<super::spam::SpamScore>,
    /// Seconds from the form's (signed) render time to the submission; `None` when
    /// the submission carried no render time.
    pub seconds_on_page: Option<i64>,
}

/// Texts up to this many bytes are rendered without a read of the flood and duplicate
/// facts first: rendering one costs less than the read. The slowest such text known
/// renders in about a millisecond (`bench/render.sh` prints it), an ordinary one in
/// tens of microseconds, while the read is a database round trip for every comment
/// (skipping it, 31 % more comments were acknowledged at 256 in flight). A longer text
/// meets rules 1 to 5 first, so a flood of long texts costs no rendering.
pub const RENDER_BEFORE_FACTS_BYTES: usize = 1024;

/// True when the form reads the submission's [`Facts`] for [`precheck`] before it
/// renders `text`; otherwise it runs [`precheck`] with [`Facts::unread`].
pub fn facts_before_rendering(text: &str) -> bool {
    text.len() > RENDER_BEFORE_FACTS_BYTES
}

/// What the store knows about the submission, read in the same transaction that
/// stores it (so two racing submissions cannot both pass flood or duplicate checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub now: i64,
    /// When the post was published (unix seconds).
    pub post_published_at: i64,
    /// The newest comment from the same client, if any.
    pub last_from_client: Option<i64>,
    /// The post already has this text from the same email or name.
    pub duplicate: bool,
    /// The same email and name have an approved comment.
    pub known_author: bool,
}

impl Facts {
    /// What is known of a submission at `now` on a post published at
    /// `post_published_at` without reading the store: no earlier comment, no
    /// duplicate, no approved one (for [`precheck`], which then decides by the rules
    /// that need no facts read).
    pub fn unread(now: i64, post_published_at: i64) -> Self {
        Self { now, post_published_at, last_from_client: None, duplicate: false, known_author: false }
    }
}

/// Applies the rules in order (see the module documentation).
pub fn decide(c: &Candidate<'_>, rules: &Discussion, facts: &Facts) -> Decision {
    let store = |status, rule| Decision::Store { status, rule };
    if let Some(decision) = precheck(c, rules, facts) {
        return decision;
    }
    if let Some(decision) = spam_filter(c, rules, facts) {
        return decision;
    }
    if rules.min_seconds > 0 && c.seconds_on_page.is_some_and(|s| s < i64::from(rules.min_seconds)) {
        return store(CommentStatus::Pending, Rule::TooFast);
    }
    let fields = [c.author, c.email, c.url, c.text, c.ip, c.user_agent];
    if rules.max_links > 0 && c.links >= usize::try_from(rules.max_links).unwrap_or(usize::MAX) {
        return store(CommentStatus::Pending, Rule::Links);
    }
    if contains_any(&rules.moderation_words, &fields) {
        return store(CommentStatus::Pending, Rule::ModerationWords);
    }
    if rules.manual_approval {
        return store(CommentStatus::Pending, Rule::Manual);
    }
    match (rules.require_prior_approval, facts.known_author) {
        (false, _) => store(CommentStatus::Approved, Rule::Open),
        (true, true) => store(CommentStatus::Approved, Rule::KnownAuthor),
        (true, false) => store(CommentStatus::Pending, Rule::FirstComment),
    }
}

/// The `spam-filter` rule: spam at or above the spam threshold (only when the model
/// is trained, the author is not a known approved one, and the admin allows it), held
/// at or above the hold threshold.
fn spam_filter(c: &Candidate<'_>, rules: &Discussion, facts: &Facts) -> Option<Decision> {
    let s = c.spam.filter(|_| rules.spam_filter)?;
    let percent = s.score * 100.0;
    let spammy = percent >= f64::from(rules.spam_threshold);
    if spammy && s.trained && !facts.known_author && !rules.spam_hold_only {
        return Some(Decision::Store { status: CommentStatus::Spam, rule: Rule::SpamFilter });
    }
    (spammy || percent >= f64::from(rules.hold_threshold))
        .then_some(Decision::Store { status: CommentStatus::Pending, rule: Rule::SpamFilter })
}

/// The rules that need no rendering, 1 to 5 (honeypot, block list, flood, duplicate,
/// closed by age): the decision when one of them decides. The form runs them before
/// it renders the text, so a refused or spam submission costs no rendering; they
/// ignore `c.links`.
pub fn precheck(c: &Candidate<'_>, rules: &Discussion, facts: &Facts) -> Option<Decision> {
    let store = |status, rule| Some(Decision::Store { status, rule });
    let fields = [c.author, c.email, c.url, c.text, c.ip, c.user_agent];

    if rules.honeypot && c.honeypot_filled {
        return store(CommentStatus::Spam, Rule::Honeypot);
    }
    if contains_any(&rules.block_words, &fields) {
        return store(CommentStatus::Spam, Rule::Blocklist);
    }
    if let Some(retry_after) = flood_wait(rules.flood_seconds, facts.last_from_client, facts.now) {
        return Some(Decision::Flood { retry_after });
    }
    if rules.duplicate_check && facts.duplicate {
        return Some(Decision::Duplicate);
    }
    if closed_by_age(rules, facts.post_published_at, facts.now) {
        return Some(Decision::Closed);
    }
    None
}

/// True when comments on a post published at `published_at` have closed with age.
pub fn closed_by_age(rules: &Discussion, published_at: i64, now: i64) -> bool {
    rules.close_after_days > 0 && now.saturating_sub(published_at) > i64::from(rules.close_after_days) * DAY
}

/// Seconds the client must still wait, or `None` when it may comment.
fn flood_wait(flood_seconds: u32, last: Option<i64>, now: i64) -> Option<u64> {
    let last = last?;
    let free_at = last.saturating_add(i64::from(flood_seconds));
    (flood_seconds > 0 && now < free_at).then(|| u64::try_from(free_at - now).unwrap_or(1).max(1))
}

/// True when any word of `list` (one per line, case-insensitive, matched anywhere in
/// a field, as WordPress matches its lists) appears in any of `fields`.
pub fn contains_any(list: &str, fields: &[&str]) -> bool {
    let words: Vec<String> = list.lines().map(str::trim).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    if words.is_empty() {
        return false;
    }
    fields.iter().map(|f| f.to_lowercase()).any(|field| words.iter().any(|w| field.contains(w.as_str())))
}

/// The number of links in rendered, sanitised comment HTML.
pub fn count_links(html: &str) -> usize {
    html.matches("<a ").count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    fn candidate() -> Candidate<'static> {
        Candidate {
            author: "Ann",
            email: "ann@example.com",
            url: "",
            text: "Nice post",
            links: 0,
            ip: "192.0.2.1",
            user_agent: "Firefox",
            honeypot_filled: false,
            spam: None,
            seconds_on_page: None,
        }
    }

    fn facts() -> Facts {
        Facts { now: NOW, post_published_at: NOW - DAY, last_from_client: None, duplicate: false, known_author: false }
    }

    fn stored(status: CommentStatus, rule: Rule) -> Decision {
        Decision::Store { status, rule }
    }

    #[test]
    fn defaults_hold_a_first_comment_and_pass_a_known_author() {
        let rules = Discussion::default();
        assert_eq!(decide(&candidate(), &rules, &facts()), stored(CommentStatus::Pending, Rule::FirstComment));
        let known = Facts { known_author: true, ..facts() };
        assert_eq!(decide(&candidate(), &rules, &known), stored(CommentStatus::Approved, Rule::KnownAuthor));
        let open = Discussion { require_prior_approval: false, ..Discussion::default() };
        assert_eq!(decide(&candidate(), &open, &facts()), stored(CommentStatus::Approved, Rule::Open));
    }

    #[test]
    fn rules_apply_in_the_documented_order() {
        let everything = Discussion {
            block_words: "casino".to_owned(),
            moderation_words: "nice".to_owned(),
            manual_approval: true,
            close_after_days: 1,
            ..Discussion::default()
        };
        let bot = Candidate { honeypot_filled: true, text: "casino nice", links: 5, ..candidate() };
        let busy = Facts { last_from_client: Some(NOW - 3), duplicate: true, post_published_at: 0, ..facts() };
        assert_eq!(decide(&bot, &everything, &busy), stored(CommentStatus::Spam, Rule::Honeypot));
        let human = Candidate { honeypot_filled: false, ..bot };
        assert_eq!(decide(&human, &everything, &busy), stored(CommentStatus::Spam, Rule::Blocklist));
        let clean = Candidate { text: "nice", ..human };
        assert_eq!(decide(&clean, &everything, &busy), Decision::Flood { retry_after: 12 });
        let later = Facts { last_from_client: Some(NOW - 15), ..busy };
        assert_eq!(decide(&clean, &everything, &later), Decision::Duplicate);
        let fresh = Facts { duplicate: false, ..later };
        assert_eq!(decide(&clean, &everything, &fresh), Decision::Closed);
        let young = Facts { post_published_at: NOW, ..fresh };
        assert_eq!(decide(&clean, &everything, &young), stored(CommentStatus::Pending, Rule::Links));
        let few_links = Candidate { links: 1, ..clean };
        assert_eq!(decide(&few_links, &everything, &young), stored(CommentStatus::Pending, Rule::ModerationWords));
        let plain = Candidate { text: "fine", ..few_links };
        assert_eq!(decide(&plain, &everything, &young), stored(CommentStatus::Pending, Rule::Manual));
    }

    #[test]
    fn the_precheck_decides_what_needs_no_rendering_and_nothing_else() {
        let rules = Discussion { manual_approval: true, ..Discussion::default() };
        assert_eq!(precheck(&candidate(), &rules, &facts()), None);
        let bot = Candidate { honeypot_filled: true, ..candidate() };
        assert_eq!(precheck(&bot, &rules, &facts()), Some(stored(CommentStatus::Spam, Rule::Honeypot)));
        let busy = Facts { last_from_client: Some(NOW - 3), ..facts() };
        assert_eq!(precheck(&candidate(), &rules, &busy), Some(Decision::Flood { retry_after: 12 }));
        let again = Facts { duplicate: true, ..facts() };
        assert_eq!(precheck(&candidate(), &rules, &again), Some(Decision::Duplicate));
    }

    /// Without the facts read, the precheck still decides by the rules that need none
    /// (honeypot, block list, closed by age) and leaves flood and duplicates alone.
    #[test]
    fn a_precheck_without_facts_read_decides_by_the_rules_that_need_none() {
        let rules = Discussion { block_words: "casino".into(), close_after_days: 14, ..Discussion::default() };
        let unread = Facts::unread(NOW, NOW - DAY);
        assert_eq!(precheck(&candidate(), &rules, &unread), None);
        let bot = Candidate { honeypot_filled: true, ..candidate() };
        assert_eq!(precheck(&bot, &rules, &unread), Some(stored(CommentStatus::Spam, Rule::Honeypot)));
        let blocked = Candidate { text: "Best casino here", ..candidate() };
        assert_eq!(precheck(&blocked, &rules, &unread), Some(stored(CommentStatus::Spam, Rule::Blocklist)));
        let old = Facts::unread(NOW, NOW - 15 * DAY);
        assert_eq!(precheck(&candidate(), &rules, &old), Some(Decision::Closed));
        assert!(!facts_before_rendering(&"a".repeat(RENDER_BEFORE_FACTS_BYTES)));
        assert!(facts_before_rendering(&"a".repeat(RENDER_BEFORE_FACTS_BYTES + 1)));
    }

    #[test]
    fn the_spam_filter_marks_spam_only_when_trained_and_never_for_known_authors() {
        use crate::domain::spam::SpamScore;
        let rules = Discussion::default();
        let spammy = Candidate { spam: Some(SpamScore { score: 0.999, trained: true }), ..candidate() };
        assert_eq!(decide(&spammy, &rules, &facts()), stored(CommentStatus::Spam, Rule::SpamFilter));
        let untrained = Candidate { spam: Some(SpamScore { score: 0.999, trained: false }), ..candidate() };
        assert_eq!(decide(&untrained, &rules, &facts()), stored(CommentStatus::Pending, Rule::SpamFilter));
        let known = Facts { known_author: true, ..facts() };
        assert_eq!(decide(&spammy, &rules, &known), stored(CommentStatus::Pending, Rule::SpamFilter));
        let cautious = Discussion { spam_hold_only: true, ..Discussion::default() };
        assert_eq!(decide(&spammy, &cautious, &facts()), stored(CommentStatus::Pending, Rule::SpamFilter));
        let doubtful = Candidate { spam: Some(SpamScore { score: 0.8, trained: true }), ..candidate() };
        assert_eq!(decide(&doubtful, &rules, &facts()), stored(CommentStatus::Pending, Rule::SpamFilter));
        let fine = Candidate { spam: Some(SpamScore { score: 0.1, trained: true }), ..candidate() };
        assert_eq!(decide(&fine, &rules, &known), stored(CommentStatus::Approved, Rule::KnownAuthor));
        let off = Discussion { spam_filter: false, ..Discussion::default() };
        assert_eq!(decide(&spammy, &off, &facts()), stored(CommentStatus::Pending, Rule::FirstComment));
        let bot = Candidate { honeypot_filled: true, ..spammy };
        assert_eq!(decide(&bot, &rules, &facts()), stored(CommentStatus::Spam, Rule::Honeypot));
    }

    #[test]
    fn a_form_sent_too_soon_after_its_page_is_held() {
        let rules = Discussion::default();
        let known = Facts { known_author: true, ..facts() };
        let instant = Candidate { seconds_on_page: Some(1), ..candidate() };
        assert_eq!(decide(&instant, &rules, &known), stored(CommentStatus::Pending, Rule::TooFast));
        let paced = Candidate { seconds_on_page: Some(3), ..candidate() };
        assert_eq!(decide(&paced, &rules, &known), stored(CommentStatus::Approved, Rule::KnownAuthor));
        let off = Discussion { min_seconds: 0, ..Discussion::default() };
        assert_eq!(decide(&instant, &off, &known), stored(CommentStatus::Approved, Rule::KnownAuthor));
    }

    #[test]
    fn word_lists_match_any_field_ignoring_case() {
        let list = "\n  Viagra \n192.0.2.\n";
        assert!(contains_any(list, &["", "Buy VIAGRA now"]));
        assert!(contains_any(list, &["192.0.2.1"]));
        assert!(!contains_any(list, &["hello", "198.51.100.1"]));
        assert!(!contains_any("  \n", &["anything"]));
    }

    #[test]
    fn flood_control_can_be_turned_off() {
        assert_eq!(flood_wait(15, Some(NOW), NOW), Some(15));
        assert_eq!(flood_wait(15, Some(NOW - 15), NOW), None);
        assert_eq!(flood_wait(0, Some(NOW), NOW), None);
        assert_eq!(flood_wait(15, None, NOW), None);
    }

    #[test]
    fn links_are_counted_in_rendered_html() {
        let html = super::super::comment_text::render("see https://a.example and [b](https://b.example)");
        assert_eq!(count_links(html.as_str()), 2);
    }
}
