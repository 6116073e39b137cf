-- Why a service closed, and the equality monitoring of direct payments (issue 12 item 5: `000`
-- reports "5 homes have closed related to practice, and 13 for financial reasons" and "the
-- breakdown of people accessing Direct Payments by ethnicity and religion").
--
-- CQC's data says when a location left the register, never why: the reason is the council's
-- own record, one per closed service, kept apart from the CQC fields an import rewrites.
CREATE TABLE service_closures (
    service_id TEXT PRIMARY KEY REFERENCES services (id),
    reason TEXT NOT NULL,
    note TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX service_closures_reason ON service_closures (reason);

-- Ethnicity and religion are special category data: optional, coded from the council's
-- lists (the Census 2021 groups by default), never free text. NULL is "not recorded".
ALTER TABLE direct_payments ADD COLUMN ethnicity TEXT;
ALTER TABLE direct_payments ADD COLUMN religion TEXT;
INSERT INTO dp_reference (list, code, label, position) VALUES
    ('ethnicity', 'asian', 'Asian, Asian British or Asian Welsh', 1),
    ('ethnicity', 'black', 'Black, Black British, Black Welsh, Caribbean or African', 2),
    ('ethnicity', 'mixed', 'Mixed or Multiple ethnic groups', 3),
    ('ethnicity', 'white', 'White', 4),
    ('ethnicity', 'other', 'Other ethnic group', 5),
    ('ethnicity', 'declined', 'Prefers not to say', 6),
    ('religion', 'none', 'No religion', 1),
    ('religion', 'christian', 'Christian', 2),
    ('religion', 'buddhist', 'Buddhist', 3),
    ('religion', 'hindu', 'Hindu', 4),
    ('religion', 'jewish', 'Jewish', 5),
    ('religion', 'muslim', 'Muslim', 6),
    ('religion', 'sikh', 'Sikh', 7),
    ('religion', 'other', 'Other religion', 8),
    ('religion', 'declined', 'Prefers not to say', 9);
