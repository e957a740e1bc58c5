//! Keyset pagination: `limit` (default 50, at most 1000) and an opaque `cursor`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use metrotrack_core::DueAfter;
use metrotrack_store::records::{MAX_PAGE, Page};

use crate::error::{ApiResult, bad_request, said};

/// Rows per page when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 50;

/// The page a request asks for.
pub fn page(limit: Option<u32>, cursor: Option<&str>) -> ApiResult<(Page, u32)> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(bad_request(said!(
            "limit phải từ 1 đến {MAX_PAGE} (đã gửi {limit}).",
            "limit must be between 1 and {MAX_PAGE} (got {limit})."
        )));
    }
    let after = cursor
        .filter(|c| !c.is_empty())
        .map(decode_cursor)
        .transpose()?;
    // One row more than asked tells whether another page follows.
    Ok((
        Page {
            limit: limit + 1,
            after,
        },
        limit,
    ))
}

/// Cuts the extra row off and makes the next cursor from the last row kept.
pub fn finish<T>(
    mut items: Vec<T>,
    limit: u32,
    id_of: impl Fn(&T) -> i64,
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if items.len() > limit {
        items.truncate(limit);
        let next = items.last().map(|last| encode_cursor(id_of(last)));
        (items, next)
    } else {
        (items, None)
    }
}

/// The cursor of the due list's next page: the due-order key of the last entry shown.
pub fn encode_due_cursor(after: &DueAfter) -> String {
    URL_SAFE_NO_PAD.encode(format!(
        "due:{}:{}:{}",
        after.valid_until, after.instrument_id, after.serial_number
    ))
}

/// Reads a cursor made by [`encode_due_cursor`].
pub fn decode_due_cursor(cursor: &str) -> ApiResult<DueAfter> {
    let text = URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    text.as_deref()
        .and_then(|s| s.strip_prefix("due:"))
        .and_then(|s| {
            let mut parts = s.splitn(3, ':');
            Some(DueAfter {
                valid_until: parts.next()?.parse().ok()?,
                instrument_id: parts.next()?.parse().ok()?,
                serial_number: parts.next()?.to_owned(),
            })
        })
        .ok_or_else(bad_cursor)
}

/// 400: a cursor this server did not give out.
fn bad_cursor() -> crate::error::ApiError {
    bad_request(said!(
        "cursor không phải là con trỏ trang do máy chủ này cấp.",
        "cursor is not one this server gave out."
    ))
}

fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("id:{id}"))
}

fn decode_cursor(cursor: &str) -> ApiResult<i64> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("id:").and_then(|n| n.parse().ok()))
        .ok_or_else(bad_cursor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let due = DueAfter {
            valid_until: chrono::NaiveDate::from_ymd_opt(2024, 2, 29).expect("date"),
            serial_number: "CT1P:00 12".to_owned(),
            instrument_id: 7,
        };
        assert_eq!(decode_due_cursor(&encode_due_cursor(&due)).ok(), Some(due));
        assert!(decode_due_cursor(&encode_cursor(42)).is_err());
        let c = encode_cursor(42);
        assert_eq!(decode_cursor(&c).ok(), Some(42));
        assert!(decode_cursor("nope").is_err());
        assert!(page(Some(0), None).is_err());
        assert!(page(Some(1001), None).is_err());
        let (items, next) = finish(vec![1, 2, 3], 2, |&i| i);
        assert_eq!(items, vec![1, 2]);
        assert_eq!(
            next.as_deref().map(decode_cursor).and_then(Result::ok),
            Some(2)
        );
    }
}
