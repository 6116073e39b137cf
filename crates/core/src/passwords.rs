//! The password policy (issue 17 item 7): one rule for every place a password is set (the
//! command line's `user add`, an administrator adding an account, a person changing their own
//! password, and the temporary password of a reset), with a message a person can act on.
//!
//! It follows the NCSC's password guidance ("Password administration for system owners",
//! 2018, and "Top tips for staying secure online: three random words"): no composition rules
//! (capitals, digits, symbols), no expiry, a minimum length, and a deny list of the passwords
//! attackers try first. The deny list is zxcvbn's (the `zxcvbn` crate, MIT, a port of Dropbox's
//! estimator): about 30,000 of the most common passwords from leaked password lists, English
//! words, names and surnames, with the patterns crackers try (repeats, sequences, keyboard rows,
//! dates, l33t spellings). It is compiled into the program: nothing is downloaded. A password is
//! refused when zxcvbn estimates fewer than 10^8 guesses would find it (its score 3, "safely
//! unguessable: moderate protection from an offline slow-hash scenario"; we store argon2id).

use crate::{FieldError, limits};

/// At least 12 characters: the length at which three random words, the NCSC's advice, usually
/// land, and long enough that guessing by brute force is impractical against argon2id.
pub const MIN_CHARS: usize = 12;
/// The most we accept (`limits::PASSWORD_CHARS`), so a megabyte "password" is never hashed.
pub const MAX_CHARS: usize = limits::PASSWORD_CHARS;
/// The product's own name, which attackers try with the council's.
pub const PRODUCT_NAME: &str = "caremarket";
/// The part of a password the strength estimate reads: patterns are found in the first 64
/// characters (a longer password is long enough; the estimate's time grows with the length).
const ESTIMATE_CHARS: usize = 64;

/// Who the password is for: what an attacker who knows the person and the council would try.
#[derive(Debug, Clone, Copy, Default)]
pub struct PasswordContext<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub council_name: &'a str,
}

/// Words in council names that say nothing about which council it is.
const GENERIC_COUNCIL_WORDS: [&str; 12] =
    ["council", "borough", "county", "city", "district", "metropolitan", "royal", "london", "the", "of", "and", "unitary"];

/// Lower-case letters and digits only: "Northmoor-2024!" -> "northmoor2024".
fn squashed(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Whether the characters step by one each time, up or down ("abcdef", "987654", "3456789012").
fn is_sequence(chars: &[char]) -> bool {
    let step = |a: char, b: char| -> Option<i32> {
        let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
        if a.is_ascii_digit() && b.is_ascii_digit() {
            let d = (b as i32 - a as i32).rem_euclid(10);
            return match d {
                1 => Some(1),
                9 => Some(-1),
                _ => None,
            };
        }
        match b as i32 - a as i32 {
            1 => Some(1),
            -1 => Some(-1),
            _ => None,
        }
    };
    let mut direction = None;
    for w in chars.windows(2) {
        let s = step(w[0], w[1]);
        if s.is_none() || (direction.is_some() && s != direction) {
            return false;
        }
        direction = s;
    }
    chars.len() > 1
}

/// The shortest group of characters the password repeats, when it is made of 2 or more copies
/// of a group of at most 4 characters ("abcabcabcabc" -> 3, "aaaaaaaaaaaa" -> 1).
fn repeated_group(chars: &[char]) -> Option<usize> {
    let lower: Vec<char> = chars.iter().map(|c| c.to_ascii_lowercase()).collect();
    (1..=4).filter(|n| lower.len() >= 2 * n && lower.len().is_multiple_of(*n)).find(|&n| lower.chunks(n).all(|c| c == &lower[..n]))
}

/// Check a new password against the policy. `field` is the form's input for it. The first
/// failure is returned, in the order a person would fix them.
pub fn check(field: &str, password: &str, ctx: &PasswordContext<'_>) -> Result<(), FieldError> {
    let fail = |m: &str| Err(FieldError::new(field, m));
    if password.is_empty() {
        return fail("Enter a password");
    }
    limits::check_text(field, "Password", password, MAX_CHARS)?;
    if password.chars().any(char::is_control) {
        return fail("Password must not contain control characters such as tabs or line breaks");
    }
    if password.trim().is_empty() {
        return fail("Password must not be only spaces");
    }
    let count = password.chars().count();
    if count < MIN_CHARS {
        return fail(&format!("Password must be at least {MIN_CHARS} characters. Three random words together are long enough"));
    }
    let chars: Vec<char> = password.chars().filter(|c| !c.is_whitespace()).collect();
    match repeated_group(&chars) {
        Some(1) => return fail("Password must not be one character repeated, like ‘aaaaaaaaaaaa’"),
        Some(_) => return fail("Password must not be the same few characters repeated, like ‘abcabcabcabc’"),
        None => {}
    }
    if is_sequence(&chars) {
        return fail("Password must not be a sequence of letters or numbers, like ‘abcdefghijkl’ or ‘123456789012’");
    }
    let squashed_password = squashed(password);
    let email = ctx.email.trim().to_lowercase();
    let local = squashed(email.split('@').next().unwrap_or(""));
    if !email.is_empty()
        && (password.to_lowercase().contains(&email)
            || squashed_password == squashed(&email)
            || (local.chars().count() >= 4 && squashed_password.contains(&local))
            || (!local.is_empty() && squashed_password == local))
    {
        return fail("Password must not contain your email address or the part of it before the @");
    }
    let council = squashed(ctx.council_name);
    let council_words: Vec<String> = ctx
        .council_name
        .split(|c: char| !c.is_alphanumeric())
        .map(squashed)
        .filter(|w| w.chars().count() >= 4 && !GENERIC_COUNCIL_WORDS.contains(&w.as_str()))
        .collect();
    if squashed_password.contains(PRODUCT_NAME)
        || (!council.is_empty() && squashed_password.contains(&council))
        || council_words.iter().any(|w| squashed_password.contains(w.as_str()))
    {
        return fail("Password must not contain the council’s name or ‘caremarket’");
    }
    let estimated: String = password.chars().take(ESTIMATE_CHARS).collect();
    let mut inputs: Vec<&str> = vec![ctx.email, ctx.council_name, PRODUCT_NAME];
    inputs.extend(ctx.email.split(|c: char| !c.is_alphanumeric()).filter(|s| !s.is_empty()));
    inputs.extend(ctx.display_name.split_whitespace());
    inputs.extend(ctx.council_name.split_whitespace());
    let entropy = zxcvbn::zxcvbn(&estimated, &inputs);
    if entropy.score() < zxcvbn::Score::Three {
        let reason =
            entropy.feedback().and_then(|f| f.warning()).map(reason).unwrap_or(
                "it is close to passwords that have been leaked or are commonly used, or follows a pattern that is easy to guess",
            );
        return Err(FieldError::new(
            field,
            format!("Password is too easy to guess: {reason}. Try three random words together, like ‘kettle orbit lantern’"),
        ));
    }
    Ok(())
}

/// zxcvbn's warning, in our words.
fn reason(w: zxcvbn::feedback::Warning) -> &'static str {
    use zxcvbn::feedback::Warning as W;
    match w {
        W::ThisIsATop10Password | W::ThisIsATop100Password | W::ThisIsACommonPassword => "it is one of the most common passwords",
        W::ThisIsSimilarToACommonlyUsedPassword => "it is close to a commonly used password",
        W::StraightRowsOfKeysAreEasyToGuess | W::ShortKeyboardPatternsAreEasyToGuess => "it follows the keys on a keyboard",
        W::RepeatsLikeAaaAreEasyToGuess | W::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => "it repeats characters",
        W::SequencesLikeAbcAreEasyToGuess => "it is mostly a sequence like abc or 6543",
        W::RecentYearsAreEasyToGuess | W::DatesAreOftenEasyToGuess => "it is mostly a date or a year",
        W::AWordByItselfIsEasyToGuess => "it is mostly a single word",
        W::NamesAndSurnamesByThemselvesAreEasyToGuess | W::CommonNamesAndSurnamesAreEasyToGuess => "it is mostly a name",
    }
}

/// The three answers of a password change form, checked together (every failure at once):
/// the current password given, the new password meets the policy and differs from the
/// current one, and the confirmation matches. Whether the current password is right is the
/// store's to check against the hash.
pub fn check_change(current: &str, new: &str, confirm: &str, ctx: &PasswordContext<'_>) -> Result<(), crate::FieldErrors> {
    let mut errors = crate::FieldErrors::new();
    if current.is_empty() {
        errors.add("current_password", "Enter your current password");
    } else if let Err(e) = limits::check_text("current_password", "Current password", current, MAX_CHARS) {
        errors.add(e.field, e.message);
    }
    if new.is_empty() {
        errors.add("new_password", "Enter a new password");
    } else if new == current {
        errors.add("new_password", "Your new password must be different from your current password");
    } else if let Err(e) = check("new_password", new, ctx) {
        errors.add(e.field, e.message);
    }
    if confirm.is_empty() && !new.is_empty() {
        errors.add("confirm_password", "Enter your new password again");
    } else if confirm != new && !new.is_empty() {
        errors.add("confirm_password", "The passwords do not match: type the new password again");
    }
    errors.into_result(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: PasswordContext<'static> =
        PasswordContext { email: "jo.bloggs@northmoor.gov.uk", display_name: "Jo Bloggs", council_name: "Northmoor Borough Council" };

    fn refused(p: &str) -> String {
        check("password", p, &CTX).expect_err(p).message
    }

    #[test]
    fn length_limits_name_the_rule() {
        assert_eq!(refused(""), "Enter a password");
        assert_eq!(refused("kettle orbi"), "Password must be at least 12 characters. Three random words together are long enough");
        assert_eq!(refused(&"kettle orbit lantern ".repeat(13)), "Password must be 256 characters or fewer");
        assert!(check("password", &"kettle orbit lantern ".repeat(12), &CTX).is_ok());
    }

    #[test]
    fn whitespace_and_control_characters_are_refused() {
        assert_eq!(refused("            "), "Password must not be only spaces");
        assert_eq!(refused("kettle\torbit lantern"), "Password must not contain control characters such as tabs or line breaks");
        assert_eq!(refused("kettle\0orbit lantern"), "Password must not contain control characters");
    }

    #[test]
    fn repeats_and_sequences_are_refused() {
        assert_eq!(refused("aaaaaaaaaaaa"), "Password must not be one character repeated, like ‘aaaaaaaaaaaa’");
        assert_eq!(refused("AAAA aaaa AAAA"), "Password must not be one character repeated, like ‘aaaaaaaaaaaa’");
        assert_eq!(refused("abcabcabcabc"), "Password must not be the same few characters repeated, like ‘abcabcabcabc’");
        assert_eq!(refused("abcdefghijkl"), "Password must not be a sequence of letters or numbers, like ‘abcdefghijkl’ or ‘123456789012’");
        assert_eq!(refused("123456789012"), refused("abcdefghijkl"));
        assert_eq!(refused("zyxwvutsrqpo"), refused("abcdefghijkl"));
    }

    #[test]
    fn the_email_and_its_local_part_are_refused() {
        let m = "Password must not contain your email address or the part of it before the @";
        assert_eq!(refused("jo.bloggs@northmoor.gov.uk"), m);
        assert_eq!(refused("JoBloggs-rules-2024"), m);
        let short = PasswordContext { email: "jo@x.uk", ..CTX };
        assert_eq!(
            check("password", "jo@x.uk", &short).map_err(|e| e.message),
            Err("Password must be at least 12 characters. Three random words together are long enough".into())
        );
    }

    #[test]
    fn the_council_and_product_names_are_refused() {
        let m = "Password must not contain the council’s name or ‘caremarket’";
        assert_eq!(refused("Northmoor Borough Council"), m);
        assert_eq!(refused("northmoor-2024-care!"), m);
        assert_eq!(refused("caremarket2024!!"), m);
        // Generic words of council names are not the council's name.
        assert!(check("password", "council kettle orbit lantern", &CTX).is_ok());
    }

    #[test]
    fn common_and_breached_style_passwords_are_refused() {
        let common = refused("password1234");
        assert!(common.starts_with("Password is too easy to guess: "), "{common}");
        assert!(common.ends_with("Try three random words together, like ‘kettle orbit lantern’"), "{common}");
        for p in ["Password123!", "qwertyuiop12", "iloveyou2024", "P@ssw0rd2024", "1qaz2wsx3edc", "letmein12345", "football1234"] {
            assert!(refused(p).starts_with("Password is too easy to guess"), "{p}: {}", refused(p));
        }
    }

    #[test]
    fn good_passwords_are_accepted() {
        for p in [
            "kettle orbit lantern",
            "purple-otter-fishing-rain",
            "Gx7!mQ2#vL9@pR4",
            "demo-password-1",
            "correct horse battery staple",
            "long-enough-password",
            "long-password-123",
            "correct-horse-battery",
            "a-long-enough-password",
        ] {
            assert_eq!(check("password", p, &CTX), Ok(()), "{p}");
        }
    }

    #[test]
    fn a_change_reports_every_problem_at_once() {
        let e = check_change("", "short", "shorter", &CTX).expect_err("refused").0;
        let got: Vec<(&str, &str)> = e.iter().map(|e| (e.field.as_str(), e.message.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("current_password", "Enter your current password"),
                ("new_password", "Password must be at least 12 characters. Three random words together are long enough"),
                ("confirm_password", "The passwords do not match: type the new password again"),
            ]
        );
        let same = check_change("kettle orbit lantern", "kettle orbit lantern", "kettle orbit lantern", &CTX).expect_err("same").0;
        assert_eq!(same[0].message, "Your new password must be different from your current password");
        let blank = check_change("old one here", "", "", &CTX).expect_err("blank").0;
        assert_eq!(blank[0].message, "Enter a new password");
        assert_eq!(blank.len(), 1);
        let unconfirmed = check_change("old one here", "kettle orbit lantern", "", &CTX).expect_err("unconfirmed").0;
        assert_eq!(unconfirmed[0].message, "Enter your new password again");
        assert!(check_change("old one here", "kettle orbit lantern", "kettle orbit lantern", &CTX).is_ok());
    }
}
