//! Paged list answers. A page holds at most the asked number of items and at most
//! [`MAX_PAGE_BYTES`] encoded, so no answer nears gRPC's 4 MiB message limit however large a
//! tenant's lists grow; `next_page_token` (empty on the last page) asks for the rest.

use tonic::Status;

/// The most a page's items may take, encoded.
pub const MAX_PAGE_BYTES: usize = 2 * 1024 * 1024;

/// The largest page anyone may ask for, in items.
pub const MAX_PAGE_ITEMS: usize = 1000;

/// A page asked for: how many items, and the position after which it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub size: usize,
    pub after: u64,
}

/// Parses a page size (0: `default`; capped at `max`) and a token this API gave (empty:
/// the first page). A token it did not give is `InvalidArgument`, naming the field.
pub fn page_request(
    page_size: u32,
    page_token: &str,
    default: usize,
    max: usize,
) -> Result<PageRequest, Status> {
    let after = match page_token {
        "" => 0,
        t => t.parse().map_err(|_| {
            Status::invalid_argument(format!("page_token: {t:?} is not a token this API gave"))
        })?,
    };
    let size = match page_size as usize {
        0 => default,
        n => n.min(max),
    };
    Ok(PageRequest { size, after })
}

/// Takes items in order until the page is full by count or by bytes (at least one, so a page
/// always moves on). Returns them and whether any were left.
pub fn fill<T: prost::Message>(items: impl IntoIterator<Item = T>, size: usize) -> (Vec<T>, bool) {
    let mut page = Vec::new();
    let mut bytes = 0;
    let mut items = items.into_iter().peekable();
    while let Some(item) = items.peek() {
        let len = item.encoded_len();
        if page.len() >= size || (!page.is_empty() && bytes + len > MAX_PAGE_BYTES) {
            break;
        }
        bytes += len;
        page.push(items.next().expect("peeked"));
    }
    let more = items.peek().is_some();
    (page, more)
}

/// A page of a list in a stable order, where the token is the position after the page: the
/// items and the next page's token (empty on the last page).
pub fn offset_page<T: prost::Message>(
    items: impl IntoIterator<Item = T>,
    page: PageRequest,
) -> (Vec<T>, String) {
    let (taken, more) = fill(items.into_iter().skip(page.after as usize), page.size);
    let next = if more {
        (page.after as usize + taken.len()).to_string()
    } else {
        String::new()
    };
    (taken, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_stop_at_their_size_or_their_bytes_and_say_whether_more_remain() {
        let small: Vec<String> = (0..5).map(|i| i.to_string()).collect();
        assert_eq!(
            fill(small.clone(), 3),
            (vec!["0".into(), "1".into(), "2".into()], true)
        );
        assert!(!fill(small, 10).1);
        // Three items of 1 MiB: two fit in a page, the third goes to the next one.
        let big: Vec<String> = (0..3).map(|_| "x".repeat(1024 * 1024 - 8)).collect();
        let (page, more) = fill(big, 100);
        assert_eq!((page.len(), more), (2, true));
        // An item larger than a page still gets a page of its own.
        let huge = vec!["y".repeat(MAX_PAGE_BYTES + 1)];
        assert_eq!(fill(huge, 100).0.len(), 1);
    }

    #[test]
    fn tokens_this_api_did_not_give_are_refused_by_field() {
        assert_eq!(
            page_request(0, "", 100, 1000).unwrap(),
            PageRequest {
                size: 100,
                after: 0
            }
        );
        assert_eq!(page_request(5000, "42", 100, 1000).unwrap().size, 1000);
        let bad = page_request(0, "../etc", 100, 1000).unwrap_err();
        assert_eq!(bad.code(), tonic::Code::InvalidArgument);
        assert!(bad.message().starts_with("page_token:"));
    }
}
