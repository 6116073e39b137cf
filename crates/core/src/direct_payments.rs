//! C5 and C6: direct payments, the PA register and the rate tools (issue 5).
