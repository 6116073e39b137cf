-- Capacity, brokerage and continuity (issue 4). Filled in by that work.
CREATE TABLE capacity_placeholder_0002 (id TEXT PRIMARY KEY);
