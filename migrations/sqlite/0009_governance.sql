-- 0009: governance (issue 12). The Market Sustainability Delivery Plan (`000`): a header,
-- themes (sustainability indicators), milestones/actions, and every dated update of a
-- milestone (never overwritten, so the plan can be read as it stood at any past date).
-- INTEGER here is BIGINT in PostgreSQL. Dates are ISO text, timestamps RFC 3339 text.

CREATE TABLE delivery_plans (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    ambition TEXT NOT NULL,
    context TEXT NOT NULL,
    accountable_officer TEXT NOT NULL,
    lead TEXT NOT NULL,
    committee TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE plan_themes (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES delivery_plans (id),
    position INTEGER NOT NULL,
    title TEXT NOT NULL
);
CREATE INDEX plan_themes_plan ON plan_themes (plan_id, position);

CREATE TABLE plan_milestones (
    id TEXT PRIMARY KEY,
    theme_id TEXT NOT NULL REFERENCES plan_themes (id),
    position INTEGER NOT NULL,
    action TEXT NOT NULL,
    -- The day the milestone joined the plan: a plan read as at an earlier date leaves it out.
    added_on TEXT NOT NULL
);
CREATE INDEX plan_milestones_theme ON plan_milestones (theme_id, position);

CREATE TABLE plan_updates (
    id TEXT PRIMARY KEY,
    milestone_id TEXT NOT NULL REFERENCES plan_milestones (id),
    dated_on TEXT NOT NULL,
    update_text TEXT NOT NULL,
    by_when_text TEXT NOT NULL,
    by_when_date TEXT,
    -- NULL only for imported words that state no status; status_as_written keeps the words.
    status TEXT,
    status_as_written TEXT,
    rag TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX plan_updates_milestone ON plan_updates (milestone_id, dated_on);
