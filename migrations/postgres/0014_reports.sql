-- The quarterly Market Oversight Report (issue 12 item 5): officers' narrative per quarter,
-- market and section (carried forward from the last quarter that has one), and published
-- quarters frozen as the whole report (figures and words) so re-opening one gives the same paper.
CREATE TABLE report_narratives (
    as_at TEXT NOT NULL,
    market TEXT NOT NULL,
    section TEXT NOT NULL,
    narrative TEXT NOT NULL,
    action_plan TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (as_at, market, section)
);

CREATE TABLE published_reports (
    as_at TEXT PRIMARY KEY,
    report_json TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL
);
