-- +goose Up
-- The register of security incidents (registro de incidentes de seguridad)
-- that Ley 1581 de 2012 art. 17 lit. n and art. 18 lit. k oblige the
-- controller and the processor to keep, so that violations of the security
-- codes and risks in the administration of titulares' data are reported to
-- the Superintendencia de Industria y Comercio (SIC). Circular Externa 003
-- de 2018 gives 15 business days (días hábiles), counted from the moment the
-- area in charge learned of the incident, to report it through the Registro
-- Nacional de Bases de Datos. Rows are never deleted: closing an incident is
-- a state, not a removal.
CREATE TABLE incidents (
    id                    TEXT PRIMARY KEY,
    -- Free text written by staff. It may describe personal data, so it is
    -- never copied into the audit log.
    title                 TEXT NOT NULL,
    description           TEXT NOT NULL DEFAULT '',
    category              TEXT NOT NULL
        CHECK (category IN ('confidentiality', 'integrity', 'availability')),
    status                TEXT NOT NULL CHECK (status IN ('open', 'contained', 'closed')),
    detected_at           TIMESTAMPTZ NOT NULL,
    -- When the person or area in charge of incidents learned of it; the SIC
    -- term runs from this instant.
    notified_to_area_at   TIMESTAMPTZ NOT NULL,
    -- The databases (as registered in the RNBD) and the categories of data
    -- involved, each a JSON array of strings.
    databases             TEXT NOT NULL DEFAULT '[]',
    data_categories       TEXT NOT NULL DEFAULT '[]',
    -- An estimate of the titulares affected.
    affected_subjects     BIGINT NOT NULL CHECK (affected_subjects >= 0),
    -- The last day (YYYY-MM-DD, Colombian civil date) of the term to report
    -- to the SIC; the term runs until midnight at its end, UTC-5.
    sic_due               TEXT NOT NULL,
    sic_reported_at       TIMESTAMPTZ,
    -- The filing number the RNBD gave the report.
    sic_reference         TEXT NOT NULL DEFAULT '',
    titulares_notified_at TIMESTAMPTZ,
    contained_at          TIMESTAMPTZ,
    closed_at             TIMESTAMPTZ,
    -- Why no report to the SIC was needed (no_personal_data,
    -- false_positive), when the incident was closed without one.
    close_reason          TEXT NOT NULL DEFAULT '',
    created_by            TEXT NOT NULL,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL,
    -- Incremented by every change: updates are conditional on it, so two
    -- admins acting at once cannot both move the incident.
    version               BIGINT NOT NULL DEFAULT 1,
    CHECK (status <> 'closed' OR sic_reported_at IS NOT NULL OR close_reason <> '')
);
CREATE INDEX incidents_status ON incidents (status, detected_at);

-- The timeline of an incident: notes in the order they were written. The
-- store only ever inserts here; a correction is a new note. seq is the
-- incident's version when the note was written: each note is one change of
-- the incident, so seq orders the timeline and two notes written at once
-- cannot share it.
CREATE TABLE incident_notes (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    seq         INTEGER NOT NULL,
    author      TEXT NOT NULL,
    text        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX incident_notes_seq ON incident_notes (incident_id, seq);

-- +goose Down
DROP TABLE incident_notes;
DROP TABLE incidents;
