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
    id INTEGER PRIMARY KEY,
    version INTEGER NOT NULL
);
INSERT INTO kept_version (id, version) VALUES (1, 0);

CREATE TABLE kept_changes (
    service_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);

-- One row per kept figure: `as_on` is what it was computed for (the date, and for a dashboard the
-- period), `version` the counter it was computed from, `body` the figure as JSON ('' for the
-- score set, whose rows are `kept_scores`).
CREATE TABLE kept_figures (
    name TEXT PRIMARY KEY,
    as_on TEXT NOT NULL,
    version INTEGER NOT NULL,
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
    total INTEGER NOT NULL,
    band TEXT NOT NULL,
    top_factors TEXT NOT NULL
);
CREATE INDEX kept_scores_rank ON kept_scores (total, service_name, service_id);
CREATE INDEX kept_scores_kind ON kept_scores (kind, total);


-- Per-service records.
CREATE TRIGGER kept_rating_history_insert AFTER INSERT ON rating_history BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_rating_history_update AFTER UPDATE ON rating_history BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_rating_history_delete AFTER DELETE ON rating_history BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_quality_rag_insert AFTER INSERT ON quality_rag BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_quality_rag_update AFTER UPDATE ON quality_rag BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_quality_rag_delete AFTER DELETE ON quality_rag BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_quality_escalations_insert AFTER INSERT ON quality_escalations BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_quality_escalations_update AFTER UPDATE ON quality_escalations BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_quality_escalations_delete AFTER DELETE ON quality_escalations BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_quality_actions_insert AFTER INSERT ON quality_actions BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_quality_actions_update AFTER UPDATE ON quality_actions BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_quality_actions_delete AFTER DELETE ON quality_actions BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_quality_signals_insert AFTER INSERT ON quality_signals BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_quality_signals_update AFTER UPDATE ON quality_signals BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_quality_signals_delete AFTER DELETE ON quality_signals BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_monthly_returns_insert AFTER INSERT ON monthly_returns BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_monthly_returns_update AFTER UPDATE ON monthly_returns BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_monthly_returns_delete AFTER DELETE ON monthly_returns BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_vacancy_returns_insert AFTER INSERT ON vacancy_returns BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_vacancy_returns_update AFTER UPDATE ON vacancy_returns BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_vacancy_returns_delete AFTER DELETE ON vacancy_returns BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_activity_returns_insert AFTER INSERT ON activity_returns BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_activity_returns_update AFTER UPDATE ON activity_returns BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_activity_returns_delete AFTER DELETE ON activity_returns BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_quality_visits_insert AFTER INSERT ON quality_visits BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_quality_visits_update AFTER UPDATE ON quality_visits BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_quality_visits_delete AFTER DELETE ON quality_visits BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_quality_assignments_insert AFTER INSERT ON quality_assignments BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_quality_assignments_update AFTER UPDATE ON quality_assignments BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_quality_assignments_delete AFTER DELETE ON quality_assignments BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;

-- A vacancy return's lines belong to its service.
CREATE TRIGGER kept_vacancy_return_lines_insert AFTER INSERT ON vacancy_return_lines BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT (SELECT service_id FROM vacancy_returns WHERE id = NEW.return_id), version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_vacancy_return_lines_update AFTER UPDATE ON vacancy_return_lines BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT (SELECT service_id FROM vacancy_returns WHERE id = OLD.return_id), version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
    INSERT INTO kept_changes (service_id, version) SELECT (SELECT service_id FROM vacancy_returns WHERE id = NEW.return_id), version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_vacancy_return_lines_delete AFTER DELETE ON vacancy_return_lines BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT (SELECT service_id FROM vacancy_returns WHERE id = OLD.return_id), version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;

-- Services: a new or removed service, or a change to a column a kept figure reads.
CREATE TRIGGER kept_services_insert AFTER INSERT ON services BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_services_update AFTER UPDATE ON services
WHEN OLD.provider_id IS NOT NEW.provider_id OR OLD.name IS NOT NEW.name OR OLD.kind IS NOT NEW.kind OR OLD.in_area IS NOT NEW.in_area OR OLD.registration_status IS NOT NEW.registration_status OR OLD.beds IS NOT NEW.beds OR OLD.rating_overall IS NOT NEW.rating_overall OR OLD.rating_safe IS NOT NEW.rating_safe OR OLD.rating_well_led IS NOT NEW.rating_well_led OR OLD.rating_date IS NOT NEW.rating_date OR OLD.last_inspection_date IS NOT NEW.last_inspection_date OR OLD.contract_status IS NOT NEW.contract_status
BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_services_delete AFTER DELETE ON services BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;

-- A provider's new name is shown beside each of its services.
CREATE TRIGGER kept_providers_update AFTER UPDATE ON providers WHEN OLD.name IS NOT NEW.name BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT s.id, v.version FROM services s, kept_version v WHERE v.id = 1 AND s.provider_id = NEW.id
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;

-- The council's occupancy threshold is an input of every care home's score.
CREATE TRIGGER kept_settings_insert AFTER INSERT ON settings WHEN NEW.key = 'capacity_thresholds' BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT '*', version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_settings_update AFTER UPDATE ON settings WHEN NEW.key = 'capacity_thresholds' OR OLD.key = 'capacity_thresholds' BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT '*', version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_settings_delete AFTER DELETE ON settings WHEN OLD.key = 'capacity_thresholds' BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT '*', version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;

-- Read by the dashboards' figures only, not by any score.
CREATE TRIGGER kept_national_benchmarks_insert AFTER INSERT ON national_benchmarks BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER kept_national_benchmarks_update AFTER UPDATE ON national_benchmarks BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER kept_national_benchmarks_delete AFTER DELETE ON national_benchmarks BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER kept_placement_restrictions_insert AFTER INSERT ON placement_restrictions BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER kept_placement_restrictions_update AFTER UPDATE ON placement_restrictions BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER kept_placement_restrictions_delete AFTER DELETE ON placement_restrictions BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER kept_placements_insert AFTER INSERT ON placements BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER kept_placements_update AFTER UPDATE ON placements BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER kept_placements_delete AFTER DELETE ON placements BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
END;
