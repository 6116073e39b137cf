//! C5/C6 persistence: direct payments, spend, monitoring, PA register, rate cards (issue 5).
