//! Mail bodies (`templates/mail/letter.txt` and `.html`: one plain-text part and one
//! simple HTML part, user text escaped, no remote images) and the public pages that
//! mailed links open (`templates/mail/page.html`).

use askama::Template;

use super::Layout;

/// One part of a mail's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A paragraph.
    Para(String),
    /// Label and value lines (author, website, …).
    Facts(Vec<(String, String)>),
    /// Someone's words, quoted: who wrote them and the text.
    Quote { who: String, text: String },
    /// Links as a row of actions.
    Links(Vec<(String, String)>),
}

/// A mail's content, rendered to both parts.
#[derive(Debug, Clone)]
pub struct LetterView {
    pub site_title: String,
    pub heading: String,
    pub blocks: Vec<Block>,
    /// Why the mail came and how to stop it.
    pub footer: Vec<Block>,
}

#[derive(Template)]
#[template(path = "mail/letter.txt")]
pub struct LetterText<'a> {
    pub letter: &'a LetterView,
}

#[derive(Template)]
#[template(path = "mail/letter.html")]
pub struct LetterHtml<'a> {
    pub letter: &'a LetterView,
}

impl LetterText<'_> {
    /// A text with every line quoted, as plain-text mail quotes.
    pub fn quoted(&self, text: &str) -> String {
        text.lines()
            .map(|l| if l.is_empty() { ">".to_owned() } else { format!("> {l}") })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A page a mailed link opens: a message and, for an action, one button that posts it.
#[derive(Template)]
#[template(path = "mail/page.html")]
pub struct MailPage {
    pub layout: Layout,
    pub heading: String,
    pub message: String,
    /// The button's form: where it posts and its label (none: a page with no action).
    pub action: Option<(String, String)>,
    /// Subscriptions listed on the subscriptions page: post title, post path, unsubscribe URL.
    pub subscriptions: Vec<(String, String, String)>,
    /// Unsubscribe from everything (the subscriptions page).
    pub unsubscribe_all: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_html_part_escapes_what_people_wrote_and_the_text_part_quotes_it() -> Result<(), askama::Error> {
        let letter = LetterView {
            site_title: "Blog <b>".into(),
            heading: "New comment".into(),
            blocks: vec![
                Block::Quote {
                    who: "<script>alert(1)</script>".into(),
                    text: "line one\n\n<img src=x onerror=alert(1)>".into(),
                },
                Block::Links(vec![("Approve".into(), "https://b.example/mail/moderate/1/approve?a=1&b=2".into())]),
            ],
            footer: vec![Block::Para("Why".into())],
        };
        let html = LetterHtml { letter: &letter }.render()?;
        assert!(!html.contains("<script>") && !html.contains("<img"), "{html}");
        assert!(html.contains("&#60;img src=x"), "{html}");
        assert!(!html.contains("src=\"http"), "no remote images: {html}");
        let text = LetterText { letter: &letter }.render()?;
        assert!(text.contains("> line one\n>\n> <img src=x onerror=alert(1)>"), "{text}");
        assert!(text.contains("Approve: https://b.example/mail/moderate/1/approve?a=1&b=2"), "{text}");
        Ok(())
    }
}
