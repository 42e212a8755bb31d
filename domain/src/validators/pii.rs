//! Finds personal data in outbound text: e-mail addresses, phone numbers, US social security
//! numbers and payment card numbers (Luhn-checked, so order numbers rarely match).

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PiiFinding {
    /// `email`, `phone`, `ssn` or `card`.
    pub kind: String,
    /// The parameter the text came from.
    pub field: String,
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").expect("valid e-mail pattern")
});
static SSN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d{3}-\d{2}-\d{4}\b").expect("valid SSN pattern"));
static CARD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:\d[ -]?){12,18}\d\b").expect("valid card pattern"));
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\+\d{1,3}[ .-]?)?\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b")
        .expect("valid phone pattern")
});

fn luhn_valid(digits: &str) -> bool {
    let digits: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| match i % 2 {
            1 if d * 2 > 9 => d * 2 - 9,
            1 => d * 2,
            _ => d,
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Scans `text` (from parameter `field`) and returns one finding per kind found.
pub fn find_pii(field: &str, text: &str) -> Vec<PiiFinding> {
    let mut kinds = Vec::new();
    if EMAIL.is_match(text) {
        kinds.push("email");
    }
    if SSN.is_match(text) {
        kinds.push("ssn");
    }
    if CARD.find_iter(text).any(|m| luhn_valid(m.as_str())) {
        kinds.push("card");
    }
    if PHONE.is_match(text) {
        kinds.push("phone");
    }
    kinds
        .into_iter()
        .map(|kind| PiiFinding {
            kind: kind.to_string(),
            field: field.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<String> {
        find_pii("body", text).into_iter().map(|f| f.kind).collect()
    }

    #[test]
    fn each_kind_is_found() {
        assert_eq!(kinds("write to bob@example.com"), ["email"]);
        assert_eq!(kinds("SSN 123-45-6789 on file"), ["ssn"]);
        assert_eq!(kinds("card 4111 1111 1111 1111 expires"), ["card"]);
        assert_eq!(kinds("call +1 415-555-0100 today"), ["phone"]);
    }

    #[test]
    fn ordinary_text_and_non_luhn_numbers_are_clean() {
        assert!(kinds("Ahead of our meeting I'd like to cover the Q3 roadmap.").is_empty());
        assert!(kinds("order 4111 1111 1111 1112 shipped").is_empty());
        assert!(kinds("renewal on 2027-01-31, 42 seats").is_empty());
    }
}
