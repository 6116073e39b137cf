//! C3 and C4: capacity, sufficiency, brokerage and continuity of care (issue 4).
