//! The report `hewn import` prints: what was imported, what was left out and why,
//! and how long the write lock was held.

use std::fmt::Write as _;

use super::import::Outcome;
use super::progress::thousands;
use super::report::Tally;

/// How many unmatched Disqus threads a summary lists.
const UNMATCHED_SHOWN: usize = 20;

/// The summary printed after an import.
pub fn summary(o: &Outcome) -> String {
    let mut s = String::new();
    let site = &o.report.site;
    let verb = if o.dry_run { "Would import" } else { "Imported" };
    let from =
        if site.title.is_empty() { String::new() } else { format!(" “{}”", super::html::text_of(&site.title)) };
    let source = if o.report.disqus {
        format!(" a Disqus export ({} threads)", thousands(o.report.items))
    } else {
        format!("{from} (WXR {}, {})", site.wxr_version, site.link)
    };
    let _ = writeln!(
        s,
        "{verb} from{source} in {:.1} s ({:.1} s reading {} comments: {} a second)",
        o.elapsed.as_secs_f64(),
        o.reading.as_secs_f64(),
        thousands(o.report.comments),
        thousands((o.report.comments as f64 / o.reading.as_secs_f64().max(0.001)) as u64)
    );
    let p = &o.plan;
    if o.report.disqus {
        let _ = writeln!(s, "  {:<10} {} matched to posts here", "threads:", thousands(count(p.matched_threads)));
    }
    for kind in ["post", "page"].into_iter().filter(|_| !o.report.disqus) {
        let rows: Vec<&(String, String, i64)> = p.new_posts.iter().filter(|(k, _, _)| k == kind).collect();
        let total: i64 = rows.iter().map(|(_, _, n)| n).sum();
        let detail = rows
            .iter()
            .map(|(_, status, n)| format!("{} {status}", thousands(count(*n))))
            .collect::<Vec<_>>()
            .join(", ");
        let label = if kind == "post" { "posts:" } else { "pages:" };
        let _ = writeln!(
            s,
            "  {label:<10} {} new{}",
            thousands(count(total)),
            if detail.is_empty() { String::new() } else { format!(" ({detail})") }
        );
    }
    if p.existing_posts > 0 {
        let _ = writeln!(
            s,
            "  {:<10} {} already here (matched by WordPress id, guid, or slug, title and date)",
            "",
            thousands(count(p.existing_posts))
        );
    }
    let total: i64 = p.new_comments.iter().map(|(_, n)| n).sum();
    let detail = p
        .new_comments
        .iter()
        .map(|(status, n)| format!("{} {status}", thousands(count(*n))))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        s,
        "  {:<10} {} new{}",
        "comments:",
        thousands(count(total)),
        if detail.is_empty() { String::new() } else { format!(" ({detail})") }
    );
    if p.existing_comments > 0 {
        let _ = writeln!(s, "  {:<10} {} already here", "", thousands(count(p.existing_comments)));
    }
    if !o.report.disqus {
        let _ = writeln!(s, "  {:<10} {} new (categories and tags)", "tags:", thousands(count(p.new_tags)));
        let _ = writeln!(s, "  {:<10} {} new old addresses that redirect", "redirects:", thousands(count(p.new_links)));
        let media = if o.dry_run { count(p.new_media) } else { o.media_copied as u64 };
        let _ = writeln!(
            s,
            "  {:<10} {} files ({:.1} MB) copied into the database{}",
            "media:",
            thousands(media),
            p.media_bytes as f64 / 1e6,
            if p.existing_media > 0 {
                format!(", {} already here", thousands(count(p.existing_media)))
            } else {
                String::new()
            }
        );
    }
    if o.report.attachments > 0 {
        let _ = writeln!(s, "  {:<10} {} in the file", "attachments:", thousands(o.report.attachments));
    }
    let settings: Vec<&str> = p.new_settings.iter().map(String::as_str).filter(|n| !n.starts_with("wp_")).collect();
    if !settings.is_empty() {
        let _ = writeln!(s, "  {:<10} {}", "settings:", settings.join(", "));
    }

    let mut notes: Vec<(String, Tally)> = o.report.notes.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let lines = |v: &[i64]| v.iter().filter_map(|l| u64::try_from(*l).ok()).take(8).collect::<Vec<_>>();
    if !p.missing_parents.is_empty() {
        notes.push((
            "replies whose parent comment is not in the file, shown at the top level".to_owned(),
            Tally { count: p.missing_parents.len() as u64, lines: lines(&p.missing_parents) },
        ));
    }
    if p.parent_loops > 0 {
        notes.push((
            "reply chains that looped, cut".to_owned(),
            Tally { count: count(p.parent_loops), lines: Vec::new() },
        ));
    }
    if p.renumbered_comments > 0 {
        notes.push((
            "comments whose WordPress number was taken here, renumbered (their pages still answer old #comment-N links)"
                .to_owned(),
            Tally { count: count(p.renumbered_comments), lines: Vec::new() },
        ));
    }
    if let Some((_, from, to)) = p.renamed_slugs.first() {
        let list: Vec<i64> = p.renamed_slugs.iter().map(|(l, _, _)| *l).collect();
        notes.push((
            format!("posts given another slug because theirs was taken (e.g. {from} → {to})"),
            Tally { count: p.renamed_slugs.len() as u64, lines: lines(&list) },
        ));
    }
    if p.wp_id_conflicts > 0 {
        notes.push((
            "posts whose WordPress id another post here already has (their ?p= links are not kept)".to_owned(),
            Tally { count: count(p.wp_id_conflicts), lines: Vec::new() },
        ));
    }
    if p.orphan_comments > 0 {
        notes.push((
            if o.report.disqus {
                "comments of threads the file does not have, left out".to_owned()
            } else {
                "comments on items that were not imported (attachments, skipped items), left out".to_owned()
            },
            Tally { count: count(p.orphan_comments), lines: Vec::new() },
        ));
    }
    write_tallies(&mut s, "Skipped:", o.report.skipped.iter().map(|(k, v)| (k.as_str(), v)));
    if !p.unmatched_threads.is_empty() {
        let comments: i64 = p.unmatched_threads.iter().map(|(_, _, n)| n).sum();
        let _ = writeln!(
            s,
            "Threads that match no post here, skipped with their {} comments (import the WordPress export first):",
            thousands(count(comments))
        );
        for (line, link, n) in p.unmatched_threads.iter().take(UNMATCHED_SHOWN) {
            let link = if link.is_empty() { "(no link)" } else { link.as_str() };
            let _ = writeln!(s, "  line {line}: {link} ({} comments)", thousands(count(*n)));
        }
        if let Some(more) = p.unmatched_threads.len().checked_sub(UNMATCHED_SHOWN).filter(|n| *n > 0) {
            let _ = writeln!(s, "  and {more} more");
        }
    }
    write_tallies(&mut s, "Notes:", notes.iter().map(|(k, v)| (k.as_str(), v)));
    match o.writes {
        Some(w) => {
            let _ = writeln!(
                s,
                "Written in {} short writes over {:.1} s; none held the database's write lock longer than {} ms \
                 (readers never wait for it; commenters at most that long).",
                w.count,
                w.took.as_secs_f64(),
                w.longest.as_millis()
            );
        }
        None if o.dry_run => {
            let _ = writeln!(s, "Dry run: nothing was written.");
        }
        None => {
            let _ = writeln!(s, "Nothing new: the database was not changed.");
        }
    }
    s
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn write_tallies<'a>(s: &mut String, heading: &str, tallies: impl Iterator<Item = (&'a str, &'a Tally)>) {
    let mut first = true;
    for (what, tally) in tallies {
        if first {
            let _ = writeln!(s, "{heading}");
            first = false;
        }
        let at = if tally.lines.is_empty() {
            String::new()
        } else {
            let shown: Vec<String> = tally.lines.iter().map(u64::to_string).collect();
            let more = if tally.count > tally.lines.len() as u64 { ", ..." } else { "" };
            format!(" (line {}{more})", shown.join(", "))
        };
        let _ = writeln!(s, "  {} {what}{at}", thousands(tally.count));
    }
}
