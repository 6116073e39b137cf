-- Direct payments and the PA register (issue 5). Filled in by that work.
CREATE TABLE direct_payments_placeholder_0003 (id TEXT PRIMARY KEY);
