//! Whole-word, case-insensitive matching for names in free text (competitors, job titles).

/// Whether `needle` occurs in `text` as whole words, ignoring case: "Acme" matches "vs ACME."
/// but not "Acmecorp".
pub fn contains_word(text: &str, needle: &str) -> bool {
    let needle = needle.trim().to_lowercase();
    if needle.is_empty() {
        return false;
    }
    let text = text.to_lowercase();
    let is_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let mut from = 0;
    while let Some(pos) = text[from..].find(&needle) {
        let start = from + pos;
        let end = start + needle.len();
        if !is_word(text[..start].chars().next_back()) && !is_word(text[end..].chars().next()) {
            return true;
        }
        from = start + text[start..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::contains_word;

    #[test]
    fn matches_whole_words_in_any_case() {
        assert!(contains_word("Evaluating Rivalsoft next week", "rivalsoft"));
        assert!(contains_word("vs. RIVALSOFT.", "Rivalsoft"));
        assert!(contains_word("Big Co offered a discount", "big co"));
        assert!(!contains_word("Rivalsofts are everywhere", "Rivalsoft"));
        assert!(!contains_word("xRivalsoft", "Rivalsoft"));
        assert!(!contains_word("anything", " "));
    }
}
