-- 0013: figures kept, not recomputed (issue 18 item 2). The early-warning score of every
-- service, the watch list, and the dashboards' figures are the output of core's functions,
-- stored with the data version they were computed from; `docs/kept-figures.md` says what is kept,
-- when it is refreshed and how staleness is detected.
--
-- `kept_version` is one counter, bumped by the triggers below in the same transaction as every
-- write to a table the kept figures read (whatever process writes: the server, a CLI import).
-- `kept_changes` names each service whose own records changed, with the counter's value at the
-- change ('*' when every service's score may have changed: the council's occupancy setting), so
-- a stale score set rescores only those services. A figure whose version is below the counter
-- is stale. Only the columns the figures read fire the services and providers triggers (an
-- unchanged re-import touches no kept figure).
-- INTEGER here is BIGINT in PostgreSQL.

CREATE TABLE kept_version (
    id BIGINT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO kept_version (id, version) VALUES (1, 0);

CREATE TABLE kept_changes (
    service_id TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);

-- One row per kept figure: `as_on` is what it was computed for (the date, and for a dashboard the
-- period), `version` the counter it was computed from, `body` the figure as JSON ('' for the
-- score set, whose rows are `kept_scores`).
CREATE TABLE kept_figures (
    name TEXT PRIMARY KEY,
    as_on TEXT NOT NULL,
    version BIGINT NOT NULL,
    computed_at TEXT NOT NULL,
    body TEXT NOT NULL
);
INSERT INTO kept_figures (name, as_on, version, computed_at, body) VALUES ('scores', '', -1, '', '');

-- Each in-area registered service's early-warning score, as core's `score` computed it.
CREATE TABLE kept_scores (
    service_id TEXT PRIMARY KEY,
    service_name TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    provider_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    total BIGINT NOT NULL,
    band TEXT NOT NULL,
    top_factors TEXT NOT NULL
);
CREATE INDEX kept_scores_rank ON kept_scores (total, service_name, service_id);
CREATE INDEX kept_scores_kind ON kept_scores (kind, total);


-- On PostgreSQL the triggers are per statement, with the statement's rows as transition tables
-- (`new_rows`, `old_rows`): a multi-row insert of an import costs one trigger call, not one per
-- row. The counter is bumped once per transaction (its value is kept in a transaction-local
-- setting), under the counter row's lock: writers of kept inputs commit in version order and a
-- reader only ever sees committed versions. Bumping the one row once per row written would also
-- leave a chain of row versions in the transaction that every later update walks (quadratic).
CREATE FUNCTION kept_bump() RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE v BIGINT := NULLIF(current_setting('caremarket.kept_version', true), '')::BIGINT;
BEGIN
    IF v IS NULL THEN
        UPDATE kept_version SET version = version + 1 WHERE id = 1 RETURNING version INTO v;
        PERFORM set_config('caremarket.kept_version', v::TEXT, true);
    END IF;
    RETURN v;
END $$;

-- TG_ARGV[0]: a query over the transition tables giving the services whose records the statement
-- changed (NULL for a row that changes figures but no service's score). No row: nothing a kept
-- figure reads changed, and the version stays.
CREATE FUNCTION kept_touch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids TEXT[];
    v BIGINT;
BEGIN
    EXECUTE 'SELECT array_agg(DISTINCT s) FROM (' || TG_ARGV[0] || ') AS changed (s)' INTO ids;
    IF ids IS NULL THEN
        RETURN NULL;
    END IF;
    v := kept_bump();
    INSERT INTO kept_changes (service_id, version) SELECT s, v FROM unnest(ids) AS u (s) WHERE s IS NOT NULL
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version WHERE kept_changes.version <> excluded.version;
    RETURN NULL;
END $$;

-- Per-service records.
CREATE TRIGGER kept_rating_history_insert AFTER INSERT ON rating_history REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM new_rows');
CREATE TRIGGER kept_rating_history_update AFTER UPDATE ON rating_history REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM new_rows UNION ALL SELECT service_id FROM old_rows');
CREATE TRIGGER kept_rating_history_delete AFTER DELETE ON rating_history REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM old_rows');
CREATE TRIGGER kept_quality_rag_insert AFTER INSERT ON quality_rag REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM new_rows');
CREATE TRIGGER kept_quality_rag_update AFTER UPDATE ON quality_rag REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM new_rows UNION ALL SELECT service_id FROM old_rows');
CREATE TRIGGER kept_quality_rag_delete AFTER DELETE ON quality_rag REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM old_rows');
CREATE TRIGGER kept_quality_escalations_insert AFTER INSERT ON quality_escalations REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM new_rows');
CREATE TRIGGER kept_quality_escalations_update AFTER UPDATE ON quality_escalations REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM new_rows UNION ALL SELECT service_id FROM old_rows');
CREATE TRIGGER kept_quality_escalations_delete AFTER DELETE ON quality_escalations REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM old_rows');
CREATE TRIGGER kept_quality_actions_insert AFTER INSERT ON quality_actions REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM new_rows');
CREATE TRIGGER kept_quality_actions_update AFTER UPDATE ON quality_actions REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM new_rows UNION ALL SELECT service_id FROM old_rows');
CREATE TRIGGER kept_quality_actions_delete AFTER DELETE ON quality_actions REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM old_rows');
CREATE TRIGGER kept_quality_signals_insert AFTER INSERT ON quality_signals REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM new_rows');
CREATE TRIGGER kept_quality_signals_update AFTER UPDATE ON quality_signals REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM new_rows UNION ALL SELECT service_id FROM old_rows');
CREATE TRIGGER kept_quality_signals_delete AFTER DELETE ON quality_signals REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM old_rows');
CREATE TRIGGER kept_monthly_returns_insert AFTER INSERT ON monthly_returns REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM new_rows');
CREATE TRIGGER kept_monthly_returns_update AFTER UPDATE ON monthly_returns REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM new_rows UNION ALL SELECT service_id FROM old_rows');
CREATE TRIGGER kept_monthly_returns_delete AFTER DELETE ON monthly_returns REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM old_rows');
CREATE TRIGGER kept_vacancy_returns_insert AFTER INSERT ON vacancy_returns REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM new_rows');
CREATE TRIGGER kept_vacancy_returns_update AFTER UPDATE ON vacancy_returns REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM new_rows UNION ALL SELECT service_id FROM old_rows');
CREATE TRIGGER kept_vacancy_returns_delete AFTER DELETE ON vacancy_returns REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM old_rows');
CREATE TRIGGER kept_activity_returns_insert AFTER INSERT ON activity_returns REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM new_rows');
CREATE TRIGGER kept_activity_returns_update AFTER UPDATE ON activity_returns REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM new_rows UNION ALL SELECT service_id FROM old_rows');
CREATE TRIGGER kept_activity_returns_delete AFTER DELETE ON activity_returns REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM old_rows');
CREATE TRIGGER kept_quality_visits_insert AFTER INSERT ON quality_visits REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM new_rows');
CREATE TRIGGER kept_quality_visits_update AFTER UPDATE ON quality_visits REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM new_rows UNION ALL SELECT service_id FROM old_rows');
CREATE TRIGGER kept_quality_visits_delete AFTER DELETE ON quality_visits REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM old_rows');
CREATE TRIGGER kept_quality_assignments_insert AFTER INSERT ON quality_assignments REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM new_rows');
CREATE TRIGGER kept_quality_assignments_update AFTER UPDATE ON quality_assignments REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM new_rows UNION ALL SELECT service_id FROM old_rows');
CREATE TRIGGER kept_quality_assignments_delete AFTER DELETE ON quality_assignments REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT service_id FROM old_rows');

-- A vacancy return's lines belong to its service.
CREATE TRIGGER kept_vacancy_return_lines_insert AFTER INSERT ON vacancy_return_lines REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT r.service_id FROM new_rows l JOIN vacancy_returns r ON r.id = l.return_id');
CREATE TRIGGER kept_vacancy_return_lines_update AFTER UPDATE ON vacancy_return_lines REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT r.service_id FROM new_rows l JOIN vacancy_returns r ON r.id = l.return_id UNION ALL SELECT r.service_id FROM old_rows l JOIN vacancy_returns r ON r.id = l.return_id');
CREATE TRIGGER kept_vacancy_return_lines_delete AFTER DELETE ON vacancy_return_lines REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT r.service_id FROM old_rows l JOIN vacancy_returns r ON r.id = l.return_id');

-- Services: a new or removed service, or a change to a column a kept figure reads.
CREATE TRIGGER kept_services_insert AFTER INSERT ON services REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT id FROM new_rows');
CREATE TRIGGER kept_services_update AFTER UPDATE ON services REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE o.provider_id IS DISTINCT FROM n.provider_id OR o.name IS DISTINCT FROM n.name OR o.kind IS DISTINCT FROM n.kind OR o.in_area IS DISTINCT FROM n.in_area OR o.registration_status IS DISTINCT FROM n.registration_status OR o.beds IS DISTINCT FROM n.beds OR o.rating_overall IS DISTINCT FROM n.rating_overall OR o.rating_safe IS DISTINCT FROM n.rating_safe OR o.rating_well_led IS DISTINCT FROM n.rating_well_led OR o.rating_date IS DISTINCT FROM n.rating_date OR o.last_inspection_date IS DISTINCT FROM n.last_inspection_date OR o.contract_status IS DISTINCT FROM n.contract_status');
CREATE TRIGGER kept_services_delete AFTER DELETE ON services REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT id FROM old_rows');

-- A provider's new name is shown beside each of its services.
CREATE TRIGGER kept_providers_update AFTER UPDATE ON providers REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT s.id FROM new_rows n JOIN old_rows o ON o.id = n.id JOIN services s ON s.provider_id = n.id WHERE o.name IS DISTINCT FROM n.name');

-- The council's occupancy threshold is an input of every care home's score.
CREATE TRIGGER kept_settings_insert AFTER INSERT ON settings REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT ''*'' FROM new_rows WHERE key = ''capacity_thresholds''');
CREATE TRIGGER kept_settings_update AFTER UPDATE ON settings REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT ''*'' FROM new_rows WHERE key = ''capacity_thresholds'' UNION ALL SELECT ''*'' FROM old_rows WHERE key = ''capacity_thresholds''');
CREATE TRIGGER kept_settings_delete AFTER DELETE ON settings REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT ''*'' FROM old_rows WHERE key = ''capacity_thresholds''');

-- Read by the dashboards' figures only, not by any score.
CREATE TRIGGER kept_national_benchmarks_insert AFTER INSERT ON national_benchmarks REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT NULL::TEXT FROM new_rows');
CREATE TRIGGER kept_national_benchmarks_update AFTER UPDATE ON national_benchmarks REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT NULL::TEXT FROM new_rows');
CREATE TRIGGER kept_national_benchmarks_delete AFTER DELETE ON national_benchmarks REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT NULL::TEXT FROM old_rows');
CREATE TRIGGER kept_placement_restrictions_insert AFTER INSERT ON placement_restrictions REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT NULL::TEXT FROM new_rows');
CREATE TRIGGER kept_placement_restrictions_update AFTER UPDATE ON placement_restrictions REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT NULL::TEXT FROM new_rows');
CREATE TRIGGER kept_placement_restrictions_delete AFTER DELETE ON placement_restrictions REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT NULL::TEXT FROM old_rows');
CREATE TRIGGER kept_placements_insert AFTER INSERT ON placements REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT NULL::TEXT FROM new_rows');
CREATE TRIGGER kept_placements_update AFTER UPDATE ON placements REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT NULL::TEXT FROM new_rows');
CREATE TRIGGER kept_placements_delete AFTER DELETE ON placements REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kept_touch('SELECT NULL::TEXT FROM old_rows');
