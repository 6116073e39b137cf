//! Councils report by financial year (1 April to 31 March) and its quarters: Q1 is April to
//! June, Q4 is January to March. A delivery plan is read "as it stood at the end of" a quarter.

use crate::Date;

/// A financial quarter: `year` is the year the financial year starts (2024 for 2024/25).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quarter {
    pub year: i16,
    pub q: i8,
}

impl Quarter {
    /// The quarter a date falls in.
    pub fn containing(d: Date) -> Quarter {
        let m = d.month();
        let (year, q) = if m >= 4 { (d.year(), (m - 4) / 3 + 1) } else { (d.year() - 1, 4) };
        Quarter { year, q }
    }

    /// The last day of the quarter.
    pub fn end(self) -> Date {
        let (y, m) = match self.q {
            1 => (self.year, 6),
            2 => (self.year, 9),
            3 => (self.year, 12),
            _ => (self.year + 1, 3),
        };
        let first = Date::new(y, m, 1).unwrap_or(Date::MAX);
        first.last_of_month()
    }

    pub fn previous(self) -> Quarter {
        if self.q == 1 { Quarter { year: self.year - 1, q: 4 } } else { Quarter { year: self.year, q: self.q - 1 } }
    }

    /// "Q3 2024/25".
    pub fn label(self) -> String {
        format!("Q{} {}/{:02}", self.q, self.year, (self.year + 1) % 100)
    }

    /// The `n` most recent quarters that have ended on or before `today`, latest first, with the
    /// quarter `today` is in first when `include_current`.
    pub fn recent(today: Date, n: usize, include_current: bool) -> Vec<Quarter> {
        let mut q = Quarter::containing(today);
        if !include_current {
            q = q.previous();
        }
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(q);
            q = q.previous();
        }
        out
    }

    /// The financial year's last day: 31 March of `year + 1`.
    pub fn year_end(year: i16) -> Date {
        Date::new(year + 1, 3, 31).unwrap_or(Date::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_follow_the_financial_year() {
        let d = |y, m, dd| Date::new(y, m, dd).unwrap();
        assert_eq!(Quarter::containing(d(2024, 11, 30)), Quarter { year: 2024, q: 3 });
        assert_eq!(Quarter::containing(d(2025, 2, 1)), Quarter { year: 2024, q: 4 });
        assert_eq!(Quarter::containing(d(2024, 4, 1)), Quarter { year: 2024, q: 1 });
        assert_eq!(Quarter { year: 2024, q: 3 }.end(), d(2024, 12, 31));
        assert_eq!(Quarter { year: 2024, q: 4 }.end(), d(2025, 3, 31));
        assert_eq!(Quarter { year: 2024, q: 2 }.end(), d(2024, 9, 30));
        assert_eq!(Quarter { year: 2024, q: 1 }.previous(), Quarter { year: 2023, q: 4 });
        assert_eq!(Quarter { year: 2024, q: 3 }.label(), "Q3 2024/25");
        assert_eq!(Quarter { year: 1999, q: 3 }.label(), "Q3 1999/00");
        let recent = Quarter::recent(d(2026, 12, 3), 3, false);
        assert_eq!(recent.iter().map(|q| q.end()).collect::<Vec<_>>(), [d(2026, 9, 30), d(2026, 6, 30), d(2026, 3, 31)]);
    }
}
