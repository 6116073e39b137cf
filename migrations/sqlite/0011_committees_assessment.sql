-- 0011: governance (issue 12 items 3 and 4). Committees, their meetings, and the items of their
-- work programme and forward plan (`004`), each with its officer, its paper and the cover sheet
-- councils' templates ask for (`001`, `003`); the options appraisal kept with the item whose
-- decision it informed (`001`). The CQC local authority assessment self-assessment (`004`):
-- the quality statements it was written against, claims (strengths and areas for improvement)
-- per statement, the evidence library, and the claims' citations of evidence references.
-- INTEGER here is BIGINT in PostgreSQL. Dates are ISO text, timestamps RFC 3339 text.
-- Yes/no answers are 0/1, NULL while not answered.

CREATE TABLE committees (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    remit TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE committee_meetings (
    id TEXT PRIMARY KEY,
    committee_id TEXT NOT NULL REFERENCES committees (id),
    meets_on TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    place TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX committee_meetings_committee ON committee_meetings (committee_id, meets_on);

CREATE TABLE committee_items (
    id TEXT PRIMARY KEY,
    committee_id TEXT NOT NULL REFERENCES committees (id),
    -- NULL: on the forward plan, not yet at a meeting.
    meeting_id TEXT REFERENCES committee_meetings (id),
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    detail TEXT NOT NULL,
    officer TEXT NOT NULL,
    -- The forward plan's "Proposed Date", as written, and the date it names when it names one.
    proposed_text TEXT NOT NULL,
    proposed_on TEXT,
    paper_title TEXT NOT NULL,
    paper_url TEXT NOT NULL,
    recommendations TEXT NOT NULL,
    progress TEXT NOT NULL,
    eia_undertaken INTEGER,
    eia_reference TEXT NOT NULL,
    exempt INTEGER,
    exempt_paragraph INTEGER,
    exempt_detail TEXT NOT NULL,
    key_decision INTEGER,
    -- Core's key decision reasons, comma-separated codes.
    key_decision_reasons TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX committee_items_committee ON committee_items (committee_id, meeting_id, position);

CREATE TABLE appraisal_options (
    id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES committee_items (id),
    position INTEGER NOT NULL,
    option_text TEXT NOT NULL,
    outcome TEXT NOT NULL,
    core_reason TEXT NOT NULL
);
CREATE INDEX appraisal_options_item ON appraisal_options (item_id, position);

CREATE TABLE self_assessments (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    dated_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE assessment_statements (
    id TEXT PRIMARY KEY,
    assessment_id TEXT NOT NULL REFERENCES self_assessments (id),
    number INTEGER NOT NULL,
    theme_number INTEGER NOT NULL,
    theme TEXT NOT NULL,
    title TEXT NOT NULL
);
CREATE INDEX assessment_statements_assessment ON assessment_statements (assessment_id, number);

CREATE TABLE assessment_evidence (
    id TEXT PRIMARY KEY,
    assessment_id TEXT NOT NULL REFERENCES self_assessments (id),
    reference TEXT NOT NULL,
    title TEXT NOT NULL,
    owner TEXT NOT NULL,
    dated_on TEXT,
    location TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX assessment_evidence_reference ON assessment_evidence (assessment_id, reference);

CREATE TABLE assessment_claims (
    id TEXT PRIMARY KEY,
    statement_id TEXT NOT NULL REFERENCES assessment_statements (id),
    kind TEXT NOT NULL,
    position INTEGER NOT NULL,
    claim_text TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX assessment_claims_statement ON assessment_claims (statement_id, position);

-- A claim's citation keeps the reference as cited (normalised, "E20"), not a key of the
-- library: a citation of an item that does not exist ("D20", "E83") is kept and flagged.
CREATE TABLE assessment_citations (
    claim_id TEXT NOT NULL REFERENCES assessment_claims (id),
    position INTEGER NOT NULL,
    reference TEXT NOT NULL,
    PRIMARY KEY (claim_id, position)
);
CREATE INDEX assessment_citations_reference ON assessment_citations (reference);
