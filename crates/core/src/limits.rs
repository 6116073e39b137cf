//! Input limits, defined once and used by the web forms, the JSON API and the store, so that a
//! value one of them accepts is never refused by another on the next save (issue 17 items 1 and
//! 11). Every limit is checked before anything is kept: in memory (the sign-in lockout), in the
//! database, or in a SQL pattern.

use crate::FieldError;

/// An email address: RFC 5321 allows no more than 254 characters in a forward path.
pub const EMAIL_CHARS: usize = 254;
/// A password. Long passphrases are welcome; this only stops megabyte "passwords" being hashed.
pub const PASSWORD_CHARS: usize = 256;
/// A council note on a service or provider (web form and API alike).
pub const NOTES_CHARS: usize = 5_000;
/// What can be typed into a search box (the directory, the register, the audit log).
pub const SEARCH_CHARS: usize = 200;
/// Any one submitted form or API text value that has no tighter limit of its own.
pub const FIELD_CHARS: usize = 10_000;
/// The whole query string of a request.
pub const QUERY_STRING_BYTES: usize = 8 * 1024;
/// The whole body of a form or JSON request (uploads have their own, larger limit).
pub const FORM_BODY_BYTES: usize = 64 * 1024;
/// A table uploaded on a page that takes one (a return, a plan's progress, a spend export): far
/// more than any council's table, far less than the whole CQC register, which has its own
/// configured limit.
pub const TABLE_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

/// Check a submitted text value: no NUL characters (PostgreSQL cannot store them and no person
/// types them) and no more than `max` characters. The message names the field by its label.
pub fn check_text(field: &str, label: &str, value: &str, max: usize) -> Result<(), FieldError> {
    if value.contains('\0') {
        return Err(FieldError::new(field, format!("{label} must not contain control characters")));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(field, format!("{label} must be {} characters or fewer", thousands(max))));
    }
    Ok(())
}

/// A search term made safe for `LIKE ... ESCAPE '\'`: the wildcards `%` and `_` and the escape
/// character itself match only themselves, so a search for "100%" finds "100%" and no more.
pub fn like_contains(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    out.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// 10000 -> "10,000" (`text::thousands`), for limits counted in characters.
pub fn thousands(n: usize) -> String {
    crate::text::thousands(i64::try_from(n).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_checks_name_the_field() {
        assert!(check_text("notes", "Notes", &"x".repeat(NOTES_CHARS), NOTES_CHARS).is_ok());
        let long = check_text("notes", "Notes", &"é".repeat(NOTES_CHARS + 1), NOTES_CHARS).unwrap_err();
        assert_eq!((long.field.as_str(), long.message.as_str()), ("notes", "Notes must be 5,000 characters or fewer"));
        let nul = check_text("q", "Search", "a\0b", SEARCH_CHARS).unwrap_err();
        assert_eq!(nul.message, "Search must not contain control characters");
    }

    #[test]
    fn like_wildcards_match_only_themselves() {
        assert_eq!(like_contains("100%_a\\b"), "%100\\%\\_a\\\\b%");
        assert_eq!(like_contains(""), "%%");
        assert_eq!(thousands(64 * 1024), "65,536");
        assert_eq!(thousands(254), "254");
    }
}
