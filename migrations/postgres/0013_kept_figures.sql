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
CREATE INDEX kept_changes_version ON kept_changes (version);

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


-- The counter's next value, taken under its row lock (writers of kept inputs commit in version
-- order; a reader only ever sees committed versions).
CREATE FUNCTION kept_bump() RETURNS BIGINT LANGUAGE sql AS $$
    UPDATE kept_version SET version = version + 1 WHERE id = 1 RETURNING version
$$;

CREATE FUNCTION kept_mark(sid TEXT, v BIGINT) RETURNS VOID LANGUAGE sql AS $$
    INSERT INTO kept_changes (service_id, version) VALUES (sid, v)
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version
$$;

-- Per-service records (the column `service_id`).
CREATE FUNCTION kept_touch_service_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE v BIGINT := kept_bump();
BEGIN
    IF TG_OP <> 'INSERT' THEN PERFORM kept_mark(OLD.service_id, v); END IF;
    IF TG_OP <> 'DELETE' THEN PERFORM kept_mark(NEW.service_id, v); END IF;
    RETURN NULL;
END $$;

-- A vacancy return's lines belong to its service.
CREATE FUNCTION kept_touch_return_line() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE v BIGINT := kept_bump();
BEGIN
    IF TG_OP <> 'INSERT' THEN PERFORM kept_mark((SELECT service_id FROM vacancy_returns WHERE id = OLD.return_id), v); END IF;
    IF TG_OP <> 'DELETE' THEN PERFORM kept_mark((SELECT service_id FROM vacancy_returns WHERE id = NEW.return_id), v); END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION kept_touch_service() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE v BIGINT := kept_bump();
BEGIN
    IF TG_OP <> 'INSERT' THEN PERFORM kept_mark(OLD.id, v); END IF;
    IF TG_OP <> 'DELETE' THEN PERFORM kept_mark(NEW.id, v); END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION kept_touch_provider() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE v BIGINT := kept_bump();
BEGIN
    INSERT INTO kept_changes (service_id, version) SELECT s.id, v FROM services s WHERE s.provider_id = NEW.id
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
    RETURN NULL;
END $$;

CREATE FUNCTION kept_touch_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM kept_mark('*', kept_bump());
    RETURN NULL;
END $$;

CREATE FUNCTION kept_touch_figures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM kept_bump();
    RETURN NULL;
END $$;

CREATE TRIGGER kept_rating_history AFTER INSERT OR UPDATE OR DELETE ON rating_history FOR EACH ROW EXECUTE FUNCTION kept_touch_service_record();
CREATE TRIGGER kept_quality_rag AFTER INSERT OR UPDATE OR DELETE ON quality_rag FOR EACH ROW EXECUTE FUNCTION kept_touch_service_record();
CREATE TRIGGER kept_quality_escalations AFTER INSERT OR UPDATE OR DELETE ON quality_escalations FOR EACH ROW EXECUTE FUNCTION kept_touch_service_record();
CREATE TRIGGER kept_quality_actions AFTER INSERT OR UPDATE OR DELETE ON quality_actions FOR EACH ROW EXECUTE FUNCTION kept_touch_service_record();
CREATE TRIGGER kept_quality_signals AFTER INSERT OR UPDATE OR DELETE ON quality_signals FOR EACH ROW EXECUTE FUNCTION kept_touch_service_record();
CREATE TRIGGER kept_monthly_returns AFTER INSERT OR UPDATE OR DELETE ON monthly_returns FOR EACH ROW EXECUTE FUNCTION kept_touch_service_record();
CREATE TRIGGER kept_vacancy_returns AFTER INSERT OR UPDATE OR DELETE ON vacancy_returns FOR EACH ROW EXECUTE FUNCTION kept_touch_service_record();
CREATE TRIGGER kept_activity_returns AFTER INSERT OR UPDATE OR DELETE ON activity_returns FOR EACH ROW EXECUTE FUNCTION kept_touch_service_record();
CREATE TRIGGER kept_quality_visits AFTER INSERT OR UPDATE OR DELETE ON quality_visits FOR EACH ROW EXECUTE FUNCTION kept_touch_service_record();
CREATE TRIGGER kept_quality_assignments AFTER INSERT OR UPDATE OR DELETE ON quality_assignments FOR EACH ROW EXECUTE FUNCTION kept_touch_service_record();
CREATE TRIGGER kept_vacancy_return_lines AFTER INSERT OR UPDATE OR DELETE ON vacancy_return_lines FOR EACH ROW EXECUTE FUNCTION kept_touch_return_line();

-- Services: a new or removed service, or a change to a column a kept figure reads.
CREATE TRIGGER kept_services_insert_delete AFTER INSERT OR DELETE ON services FOR EACH ROW EXECUTE FUNCTION kept_touch_service();
CREATE TRIGGER kept_services_update AFTER UPDATE ON services FOR EACH ROW
    WHEN (OLD.provider_id IS DISTINCT FROM NEW.provider_id OR OLD.name IS DISTINCT FROM NEW.name OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.in_area IS DISTINCT FROM NEW.in_area OR OLD.registration_status IS DISTINCT FROM NEW.registration_status OR OLD.beds IS DISTINCT FROM NEW.beds OR OLD.rating_overall IS DISTINCT FROM NEW.rating_overall OR OLD.rating_safe IS DISTINCT FROM NEW.rating_safe OR OLD.rating_well_led IS DISTINCT FROM NEW.rating_well_led OR OLD.rating_date IS DISTINCT FROM NEW.rating_date OR OLD.last_inspection_date IS DISTINCT FROM NEW.last_inspection_date OR OLD.contract_status IS DISTINCT FROM NEW.contract_status)
    EXECUTE FUNCTION kept_touch_service();
CREATE TRIGGER kept_providers_update AFTER UPDATE ON providers FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION kept_touch_provider();

-- The council's occupancy threshold is an input of every care home's score.
CREATE TRIGGER kept_settings_insert AFTER INSERT ON settings FOR EACH ROW WHEN (NEW.key = 'capacity_thresholds') EXECUTE FUNCTION kept_touch_all();
CREATE TRIGGER kept_settings_update AFTER UPDATE ON settings FOR EACH ROW WHEN (NEW.key = 'capacity_thresholds' OR OLD.key = 'capacity_thresholds') EXECUTE FUNCTION kept_touch_all();
CREATE TRIGGER kept_settings_delete AFTER DELETE ON settings FOR EACH ROW WHEN (OLD.key = 'capacity_thresholds') EXECUTE FUNCTION kept_touch_all();

-- Read by the dashboards' figures only, not by any score.
CREATE TRIGGER kept_national_benchmarks AFTER INSERT OR UPDATE OR DELETE ON national_benchmarks FOR EACH ROW EXECUTE FUNCTION kept_touch_figures();
CREATE TRIGGER kept_placement_restrictions AFTER INSERT OR UPDATE OR DELETE ON placement_restrictions FOR EACH ROW EXECUTE FUNCTION kept_touch_figures();
CREATE TRIGGER kept_placements AFTER INSERT OR UPDATE OR DELETE ON placements FOR EACH ROW EXECUTE FUNCTION kept_touch_figures();
