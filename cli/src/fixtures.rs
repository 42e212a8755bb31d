//! Fixture and demo files keep their dates relative to now, so they stay meaningful whenever
//! they run: `{{now}}`, `{{now+20h}}`, `{{now-8d}}` become RFC 3339 instants and `{{today-3d}}`
//! becomes a date. Units: d (days), h (hours), m (minutes).

use anyhow::{Context, bail};
use chrono::{DateTime, Duration, SecondsFormat, Utc};

pub fn render(template: &str, now: DateTime<Utc>) -> anyhow::Result<String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .context("a `{{` placeholder is not closed")?;
        out.push_str(&expand(after[..end].trim(), now)?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn expand(token: &str, now: DateTime<Utc>) -> anyhow::Result<String> {
    let (base, offset) = match token.find(['+', '-']) {
        Some(i) => (&token[..i], &token[i..]),
        None => (token, ""),
    };
    let shift = if offset.is_empty() {
        Duration::zero()
    } else {
        let (sign, body) = offset.split_at(1);
        let (number, unit) = body.split_at(body.len() - 1);
        let n: i64 = number
            .parse()
            .with_context(|| format!("placeholder {{{{{token}}}}}: {number:?} is not a number"))?;
        let n = if sign == "-" { -n } else { n };
        match unit {
            "d" => Duration::days(n),
            "h" => Duration::hours(n),
            "m" => Duration::minutes(n),
            other => bail!("placeholder {{{{{token}}}}}: unknown unit {other:?} (use d, h or m)"),
        }
    };
    match base {
        "now" => Ok((now + shift).to_rfc3339_opts(SecondsFormat::Secs, true)),
        "today" => Ok((now + shift).date_naive().to_string()),
        other => bail!("placeholder {{{{{token}}}}}: unknown base {other:?} (use now or today)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_instants_and_dates() {
        let now: DateTime<Utc> = "2026-03-10T12:00:00Z".parse().unwrap();
        let out = render(
            r#"{"a":"{{now+20h}}","b":"{{today-3d}}","c":"{{now}}"}"#,
            now,
        )
        .unwrap();
        assert_eq!(
            out,
            r#"{"a":"2026-03-11T08:00:00Z","b":"2026-03-07","c":"2026-03-10T12:00:00Z"}"#
        );
    }

    #[test]
    fn refuses_unknown_placeholders() {
        let now = Utc::now();
        assert!(render("{{yesterday}}", now).is_err());
        assert!(render("{{now+2w}}", now).is_err());
        assert!(render("{{now", now).is_err());
    }
}
