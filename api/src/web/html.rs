//! HTML for the approval pages: escaping, the page frame, and the small pieces every page uses.
//! Everything a person or a record wrote goes through [`escape`]; nothing else reaches a page.

/// Text made safe for HTML content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A query-string or path component, percent-encoded.
pub fn url_part(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// High-contrast colours (each text/background pair ≥ 7:1), visible focus, no script.
const STYLE: &str = r#"
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #111; background: #fff; }
header { background: #0b2545; color: #fff; padding: .6rem 1.2rem; display: flex; gap: 1.5rem; align-items: center; flex-wrap: wrap; }
header a { color: #fff; }
main { padding: 1rem 1.2rem; max-width: 80rem; }
a { color: #0645ad; }
a:focus, button:focus, input:focus, select:focus, textarea:focus { outline: 3px solid #ffbf47; outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .4rem .5rem; border-bottom: 1px solid #767676; }
caption { text-align: left; font-weight: 600; padding: .4rem 0; }
.status { font-weight: 600; white-space: nowrap; }
.badge { border: 2px solid currentColor; border-radius: .3rem; padding: 0 .4rem; font-weight: 600; }
.ok { color: #0a5c2b; } .bad { color: #a00000; } .warn { color: #6b4500; }
header .ok, header .bad { color: #fff; }
form.filters { display: flex; gap: 1rem; flex-wrap: wrap; align-items: end; margin-bottom: 1rem; }
label { display: block; font-weight: 600; }
input[type=text], textarea, select { font: inherit; padding: .3rem; border: 2px solid #555; border-radius: .2rem; }
textarea { width: 100%; max-width: 40rem; }
button { font: inherit; padding: .4rem 1rem; border: 2px solid #0b2545; border-radius: .3rem; background: #0b2545; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #0b2545; }
.decide { display: flex; gap: 2rem; flex-wrap: wrap; align-items: flex-start; }
.decide form { border: 1px solid #767676; padding: .8rem; border-radius: .3rem; min-width: 18rem; }
.decide input[type=text] { width: 100%; box-sizing: border-box; }
.notice { border-left: 6px solid #0b2545; padding: .5rem 1rem; background: #eef2f7; }
.error { border-left: 6px solid #a00000; padding: .5rem 1rem; background: #fbeaea; }
code { font-size: .9em; word-break: break-all; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; } dd { margin: 0; }
"#;

/// A whole page. `signed_in` adds the navigation, the ledger badge and sign-out (with its
/// CSRF token).
pub fn page(title: &str, signed_in: Option<&Frame>, body: &str) -> String {
    let nav = signed_in.map_or_else(String::new, |frame| {
        format!(
            r#"<nav aria-label="Main"><a href="/app">Top actions</a> · <a href="/app/questions">Questions</a></nav>
<span>{who} · {tenant}</span>{badge}
<form method="post" action="/app/sign-out"><input type="hidden" name="csrf" value="{csrf}"><button class="secondary" type="submit">Sign out</button></form>"#,
            who = escape(&frame.subject),
            tenant = escape(&frame.tenant),
            badge = frame.ledger_badge,
            csrf = escape(&frame.csrf),
        )
    });
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · revloop</title><style>{STYLE}</style></head>
<body><header><strong>revloop</strong>{nav}</header>
<main id="main"><h1>{title}</h1>
{body}
</main></body></html>"#,
        title = escape(title),
    )
}

/// What the frame of a signed-in page shows.
pub struct Frame {
    pub subject: String,
    pub tenant: String,
    pub csrf: String,
    /// Already HTML.
    pub ledger_badge: String,
}

/// "3 h ago", "2 d ago": how old a fact is, as a person reads it.
pub fn age(at: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    let Ok(at) = chrono::DateTime::parse_from_rfc3339(at) else {
        return String::new();
    };
    let secs = (now - at.with_timezone(&chrono::Utc)).num_seconds();
    match secs {
        s if s < 0 => "in the future".into(),
        s if s < 120 => format!("{s} s ago"),
        s if s < 7200 => format!("{} min ago", s / 60),
        s if s < 172_800 => format!("{} h ago", s / 3600),
        s => format!("{} d ago", s / 86_400),
    }
}

/// A status as a badge whose colour says whether it needs someone.
pub fn status_badge(status: &str) -> String {
    let class = match status {
        "executed" | "approved" | "answered" => "ok",
        "blocked" | "failed" | "rejected" | "expired" => "bad",
        "awaiting_approval" | "open" => "warn",
        _ => "",
    };
    format!(
        r#"<span class="status {class}">{}</span>"#,
        escape(&status.replace('_', " "))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_data_is_shown_not_run() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(url_part("demo/approval/a b&c"), "demo%2Fapproval%2Fa+b%26c");
    }

    #[test]
    fn ages_read_as_a_person_says_them() {
        let now = "2026-12-02T12:00:00Z".parse().unwrap();
        assert_eq!(age("2026-12-02T11:59:30Z", now), "30 s ago");
        assert_eq!(age("2026-12-02T09:00:00Z", now), "3 h ago");
        assert_eq!(age("2026-11-28T12:00:00Z", now), "4 d ago");
        assert_eq!(age("not a time", now), "");
    }
}
