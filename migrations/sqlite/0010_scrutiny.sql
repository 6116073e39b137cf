-- 0010: scrutiny recommendations (issue 12 item 2; `002`). A review, its numbered
-- recommendations, the agreed actions under each, and every dated progress update of an action
-- (evidence, grade 1 to 4, impact), never overwritten, so the review reads as it stood at the
-- date of any progress update. INTEGER here is BIGINT in PostgreSQL. Dates are ISO text,
-- timestamps RFC 3339 text.

CREATE TABLE scrutiny_reviews (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    committee TEXT NOT NULL,
    link_officers TEXT NOT NULL,
    -- As written ("February 2023") and the date it names (the end of the month).
    plan_agreed_text TEXT NOT NULL,
    plan_agreed_on TEXT NOT NULL,
    updates_due_text TEXT NOT NULL,
    updates_due_on TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE scrutiny_recommendations (
    id TEXT PRIMARY KEY,
    review_id TEXT NOT NULL REFERENCES scrutiny_reviews (id),
    number INTEGER NOT NULL,
    recommendation TEXT NOT NULL,
    UNIQUE (review_id, number)
);

CREATE TABLE scrutiny_actions (
    id TEXT PRIMARY KEY,
    recommendation_id TEXT NOT NULL REFERENCES scrutiny_recommendations (id),
    position INTEGER NOT NULL,
    action TEXT NOT NULL,
    responsibility TEXT NOT NULL,
    -- As written ("April 2023", "Ongoing") and the date it names, if any.
    due_text TEXT NOT NULL,
    due_on TEXT,
    success_measure TEXT NOT NULL
);
CREATE INDEX scrutiny_actions_recommendation ON scrutiny_actions (recommendation_id, position);

CREATE TABLE scrutiny_progress (
    id TEXT PRIMARY KEY,
    action_id TEXT NOT NULL REFERENCES scrutiny_actions (id),
    dated_on TEXT NOT NULL,
    evidence TEXT NOT NULL,
    -- `002`'s key: 1 Fully Achieved, 2 On-Track, 3 Slipped, 4 Not Achieved.
    grade INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 4),
    impact TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX scrutiny_progress_action ON scrutiny_progress (action_id, dated_on);
