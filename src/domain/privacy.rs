//! Less data, kept less long: truncating commenters' IP addresses, the keyed hash
//! and identicon that stand in for an avatar service, and the privacy notice that
//! says what hewn stores (filled from the live settings).

use std::net::IpAddr;

use super::settings::Settings;
use super::signing::Secret;

/// The network of an address: IPv4 /24, IPv6 /48 (the rest zeroed).
pub fn truncate_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            IpAddr::from([a, b, c, 0])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::from([s[0], s[1], s[2], 0, 0, 0, 0, 0])
        }
    }
}

/// Hex characters of the avatar key (64 bits: enough to tell commenters apart, too
/// few to carry anything else).
const AVATAR_HEX: usize = 16;

/// The avatar key of an address: an HMAC of the lowercased address with the site
/// secret, so that it cannot be reversed with a list of addresses (as an unsalted
/// hash can). Empty for an empty address.
pub fn avatar_key(secret: &Secret, email: &str) -> String {
    let email = email.trim().to_lowercase();
    if email.is_empty() {
        return String::new();
    }
    secret.keyed_hex("hewn avatar v1", email.as_bytes()).chars().take(AVATAR_HEX).collect()
}

/// True when `key` looks like an avatar key (what `/avatars/{key}.svg` accepts).
pub fn is_avatar_key(key: &str) -> bool {
    key.len() == AVATAR_HEX && key.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// The avatar of a comment without a key (an imported or erased one).
pub const DEFAULT_AVATAR: &str = "default";

/// The address of the avatar drawn from `key` (the default one for no key).
pub fn avatar_path(key: &str) -> String {
    let key = if is_avatar_key(key) { key } else { DEFAULT_AVATAR };
    format!("/avatars/{key}.svg")
}

/// A 5×5 mirrored identicon for `key`, as SVG: a colour and a pattern, both from
/// the key's bits. Nothing in it can run.
pub fn identicon_svg(key: &str) -> String {
    let bits: Vec<u8> =
        key.bytes().map(|b| (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok()).unwrap_or(0)).collect();
    let nibble = |i: usize| bits.get(i % bits.len().max(1)).copied().unwrap_or(0);
    let hue = u32::from(nibble(0)) * 16 + u32::from(nibble(1));
    let hue = hue * 360 / 256;
    let mut cells = String::new();
    for row in 0..5usize {
        for col in 0..3usize {
            let n = row * 3 + col;
            let on = (nibble(2 + n / 4) >> (n % 4)) & 1 == 1;
            if on {
                for x in [col, 4 - col] {
                    cells.push_str(&format!("<rect x=\"{}\" y=\"{}\" width=\"1\" height=\"1\"/>", x, row));
                    if x == 2 {
                        break;
                    }
                }
            }
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"-0.5 -0.5 6 6\" width=\"48\" height=\"48\">\
         <rect x=\"-0.5\" y=\"-0.5\" width=\"6\" height=\"6\" fill=\"#f2f2f2\"/>\
         <g fill=\"hsl({hue}, 55%, 45%)\">{cells}</g></svg>"
    )
}

/// The privacy notice in Markdown, from the live settings: what is stored about
/// commenters, where, for how long, and how to get it or erase it.
pub fn notice_markdown(settings: &Settings, mail_on: bool) -> String {
    let d = &settings.discussion;
    let retention = match d.ip_retention_days {
        0 => "kept as long as the comment".to_owned(),
        1 => "erased from every comment after 1 day".to_owned(),
        n => format!("erased from every comment after {n} days"),
    };
    let ip = if d.truncate_ips {
        "the network part of your IP address (its last part is never stored)"
    } else {
        "your IP address"
    };
    let mut text = format!(
        "## What this site stores when you comment\n\n\
         - **Your comment, name, email address and website**, for as long as the comment stays on the site. \
         Your email address is never shown on any page or feed; the site's administrators see it.\n\
         - **{ip} and your browser's name** (its user agent), to fight spam and abuse: {retention}.\n\
         - **Cookies**, only in your browser: if you tick \"Save my name, email, and website\", those details, for a \
         year; after you comment, a signed pass that shows you your own comment while it waits for moderation and \
         lets you edit or delete it for {} minutes.\n",
        d.edit_minutes
    );
    if d.avatars {
        text.push_str(
            "- **Avatars** are drawn by this site from a keyed hash of your address; nothing is sent to any other \
             service.\n",
        );
    }
    if mail_on {
        text.push_str(
            "- **Subscriptions**: if you ask to hear about replies, your address and the posts you follow, after you \
             confirm it; every mail has a link to stop them. Unconfirmed addresses are forgotten after 7 days.\n",
        );
        text.push_str(
            "\n## Getting or erasing your data\n\nUse **Manage your comments** under the comment form: it mails you \
             a link to a page listing every comment written with your address, where you can download all the \
             site holds about you, erase your name and address from your comments, or delete them.\n",
        );
    } else {
        text.push_str(
            "\n## Getting or erasing your data\n\nWrite to the site's owner: they can export, anonymise or delete \
             every comment written with your address.\n",
        );
    }
    text.push_str(
        "\n## What this site does not do\n\nNo advertising, no tracking, no third-party scripts, fonts or avatar \
         services: nothing about you is sent anywhere else.\n",
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_keep_only_their_network() {
        let v4: IpAddr = "203.0.113.77".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert_eq!(truncate_ip(v4).to_string(), "203.0.113.0");
        let v6: IpAddr = "2001:db8:1234:5678::1".parse().unwrap_or(IpAddr::from([0u16; 8]));
        assert_eq!(truncate_ip(v6).to_string(), "2001:db8:1234::");
    }

    #[test]
    fn avatar_keys_depend_on_the_secret_and_not_on_case() {
        let a = Secret::new(b"a".repeat(32));
        let b = Secret::new(b"b".repeat(32));
        let key = avatar_key(&a, "Ann@Example.org");
        assert!(is_avatar_key(&key), "{key}");
        assert_eq!(key, avatar_key(&a, "ann@example.org "));
        assert_ne!(key, avatar_key(&b, "ann@example.org"), "another site, another key");
        assert!(avatar_key(&a, "").is_empty());
        assert!(!is_avatar_key("../../etc/passwd") && !is_avatar_key("ABCDEF0123456789"));
    }

    #[test]
    fn an_identicon_is_inert_svg_and_differs_between_keys() {
        let one = identicon_svg("0123456789abcdef");
        let two = identicon_svg("fedcba9876543210");
        assert_ne!(one, two);
        for svg in [&one, &two] {
            assert!(svg.starts_with("<svg") && !svg.contains("script") && !svg.contains("href"), "{svg}");
        }
    }

    #[test]
    fn the_notice_follows_the_settings() {
        let mut s = Settings::default();
        assert!(notice_markdown(&s, true).contains("after 30 days"));
        s.discussion.ip_retention_days = 0;
        s.discussion.truncate_ips = true;
        let text = notice_markdown(&s, false);
        assert!(text.contains("kept as long as the comment") && text.contains("network part"));
        assert!(!text.contains("Manage your comments"));
    }
}
