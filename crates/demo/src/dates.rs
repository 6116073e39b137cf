//! Date arithmetic for the generator, with jiff's overflow errors passed on rather than unwrapped.

use crate::DemoError;
use caremarket_core::Date;
use jiff::ToSpan;
use rand::Rng;
use rand::rngs::StdRng;

pub fn date(y: i16, m: i8, d: i8) -> Result<Date, DemoError> {
    Ok(Date::new(y, m, d)?)
}

pub fn add_days(d: Date, n: i64) -> Result<Date, DemoError> {
    Ok(d.checked_add(n.days())?)
}

/// Whole days from `a` to `b` (negative if `b` is earlier).
pub fn days(a: Date, b: Date) -> Result<i64, DemoError> {
    Ok(i64::from(a.until(b)?.get_days()))
}

/// A uniformly chosen date from `a` to `b` inclusive (`a` if the range is empty).
pub fn between(rng: &mut StdRng, a: Date, b: Date) -> Result<Date, DemoError> {
    let n = days(a, b)?;
    if n <= 0 {
        return Ok(a);
    }
    add_days(a, rng.gen_range(0..=n))
}
