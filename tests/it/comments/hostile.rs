//! Hostile strings in every field come back as text: no markup, script, event handler
//! or `javascript:`/`data:` URL reaches a page, the author link included.

use hewn::store::settings;

use super::{DEMO, DEMO_FORM, comment_id, location, no_flood};
use crate::assert::assert_status;
use crate::helpers::{TestApp, html, spawn_app, texts};

/// Strings that try to break out of text, attributes, URLs or the page's direction.
const HOSTILE: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "<img src=x onerror=alert(1)//",
    "<svg/onload=alert(1)>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">tab</a>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](javascript:alert(1))",
    "<javascript:alert(1)>",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "<iframe src=//evil.example></iframe>",
    "<div style=\"background:url(javascript:alert(1))\">styled</div>",
    "\" onmouseover=\"alert(1)",
    "' onfocus='alert(1)' autofocus='",
    "<<SCRIPT>alert(1);//<</SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "</textarea><script>alert(1)</script>",
    "</bdi></b></li></ol><script>alert(1)</script>",
    "<!--<script>alert(1)//-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<base href=\"//evil.example/\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=//evil.example\">",
    "<form action=//evil.example><button>go</button></form>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "{{ 7*7 }} {% raw %} ${7*7}",
    "\u{202E}gnp.exe\u{202C} right-to-left override",
    "zero\u{200B}width\u{FEFF}joiner\u{200D}",
    "Z\u{0351}\u{036B}\u{0343}\u{036A}a\u{0302}\u{036B}l\u{0350}g\u{0308}o\u{0364}",
    "𝕳𝖊𝖜𝖓 😀 ﷽ \u{FFFD}",
];

/// Website values that try to become something other than an http(s) link.
const HOSTILE_URLS: &[&str] = &[
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example",
    "http://x.example/\"onmouseover=\"alert(1)",
    "https://x.example/<script>alert(1)</script>",
    "http://x.example/' onmouseover='alert(1)",
    "http://evil.example\u{202E}moc.elgoog",
    "example.com/\"><img src=x onerror=alert(1)>",
];

/// Fails when a page has any script, event handler, dangerous URL or unexpected
/// active element outside the site's own markup.
fn assert_inert(body: &str, context: &str) {
    let doc = html(body);
    let all = scraper::Selector::parse("*").unwrap();
    for el in doc.select(&all) {
        let name = el.value().name();
        // The site's own JSON-LD data block in the head (never executed; its JSON
        // cannot close the element) is the one script allowed.
        let json_ld = name == "script"
            && el.value().attr("type") == Some("application/ld+json")
            && el.parent().and_then(scraper::ElementRef::wrap).is_some_and(|p| p.value().name() == "head");
        assert!(
            json_ld
                || !["script", "iframe", "object", "embed", "svg", "math", "img", "style", "base", "meta"]
                    .contains(&name)
                || (name == "meta" && el.value().attr("http-equiv").is_none()),
            "{context}: a <{name}> element got into the page"
        );
        for (attr, value) in el.value().attrs() {
            assert!(!attr.starts_with("on"), "{context}: event handler {attr}={value:?} on <{name}>");
            assert!(attr != "style" && attr != "autofocus", "{context}: {attr} on <{name}>");
            if ["href", "src", "action", "formaction", "xlink:href"].contains(&attr) {
                let v: String = value.chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect();
                let v = v.to_ascii_lowercase();
                assert!(
                    !(v.starts_with("javascript:") || v.starts_with("data:") || v.starts_with("vbscript:")),
                    "{context}: {attr}={value:?} on <{name}>"
                );
                assert!(!v.starts_with("//evil"), "{context}: {attr}={value:?}");
            }
        }
    }
    // The header's search form is the site's own; only the reply form may join it.
    let forms = texts(&doc, "form:not([data-test=search-form])").len();
    assert!(forms <= 1, "{context}: a second form got into the page");
}

async fn submit(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    app.client.post(app.url(DEMO_FORM)).form(fields).send().await.unwrap()
}

#[tokio::test]
async fn hostile_comments_and_names_come_back_as_text() {
    let app = spawn_app().await;
    no_flood(&app).await;
    settings::put(&app.store, "comment_require_prior_approval", "0").await.unwrap();
    settings::put(&app.store, "comment_max_links", "0").await.unwrap();
    let mut ids = Vec::new();

    for (i, s) in HOSTILE.iter().enumerate() {
        let comment = format!("{s} #{i}");
        let email = format!("h{i}@example.com");
        let r = submit(&app, &[("comment", &comment), ("author", s), ("email", &email), ("url", "")]).await;
        let r = assert_status!(r, 303, "{s:?}");
        ids.push((comment_id(&location(&r)), *s));
    }
    let (_, body) = app.get_text(DEMO).await;

    assert_inert(&body, "post page");
    let doc = html(&body);
    for (id, s) in &ids {
        let author = texts(&doc, &format!("li#comment-{id} [data-test=comment-author]"));
        let expected: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(author, [expected], "the name is shown as typed");
        let content = texts(&doc, &format!("li#comment-{id} .comment-content")).join(" ");
        if s.contains('<') && !s.contains("](") && !s.starts_with("<javascript") {
            assert!(content.contains('<'), "raw HTML is shown as text: {s:?} -> {content:?}");
        }
    }
    for (id, s) in ids.iter().take(8) {
        let (_, reply) = app.get_text(&format!("{DEMO}?replytocom={id}")).await;
        assert_inert(&reply, &format!("reply form to {s:?}"));
    }
}

#[tokio::test]
async fn hostile_websites_are_refused_or_made_harmless_http_links() {
    let app = spawn_app().await;
    no_flood(&app).await;
    settings::put(&app.store, "comment_require_prior_approval", "0").await.unwrap();

    for (i, url) in HOSTILE_URLS.iter().enumerate() {
        let comment = format!("website test {i}");
        let email = format!("u{i}@example.com");
        let r = submit(&app, &[("comment", &comment), ("author", "Web"), ("email", &email), ("url", url)]).await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert!(status == 303 || status == 422, "{url:?}: {status}");
        assert_inert(&body, &format!("answer to {url:?}"));
    }
    let (_, body) = app.get_text(DEMO).await;

    assert_inert(&body, "post page");
    let doc = html(&body);
    let links = scraper::Selector::parse("[data-test=comment-author] a").unwrap();
    let hrefs: Vec<&str> = doc.select(&links).map(|a| a.value().attr("href").unwrap()).collect();
    assert!(!hrefs.is_empty(), "some of the odd but valid addresses were accepted");
    for href in hrefs {
        assert!(href.starts_with("http://") || href.starts_with("https://"), "{href}");
        assert!(!href.contains(['"', '<', '>', ' ', '\u{202E}']), "{href}");
    }
}

#[tokio::test]
async fn hostile_input_in_a_rejected_form_is_shown_back_escaped() {
    let app = spawn_app().await;

    for s in HOSTILE {
        // The email is invalid, so every field comes back in a 422 page.
        let r = submit(&app, &[("comment", s), ("author", s), ("email", s), ("url", s)]).await;
        let r = assert_status!(r, 422, "{s:?}");
        let body = r.body;
        assert_inert(&body, &format!("422 for {s:?}"));
        let doc = html(&body);
        assert_eq!(texts(&doc, "textarea#comment"), [s.split_whitespace().collect::<Vec<_>>().join(" ")], "{s:?}");
        let value = |sel: &str| {
            let q = scraper::Selector::parse(sel).unwrap();
            doc.select(&q).next().unwrap().value().attr("value").unwrap().to_owned()
        };
        assert_eq!(value("#author"), s.trim(), "{s:?}");
        assert_eq!(value("#email"), s.trim(), "{s:?}");
    }
}
