-- Help for people living rough (流浪乞讨人员救助, DOMAIN.md §6): street patrols, and cases
-- at the assistance station from intake to their outcome.

CREATE TABLE relief_patrols (
    id            INTEGER PRIMARY KEY,
    patrolled_on  TEXT NOT NULL,
    region_code   TEXT NOT NULL REFERENCES regions (code),
    area          TEXT NOT NULL CHECK (length(area) > 0),
    staff         TEXT NOT NULL CHECK (length(staff) > 0),
    people_met    INTEGER NOT NULL CHECK (people_met >= 0),
    brought_in    INTEGER NOT NULL CHECK (brought_in >= 0 AND brought_in <= people_met),
    notes         TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX relief_patrols_day ON relief_patrols (patrolled_on);

-- A person at the station. The identity may be unknown at intake (无名氏): the name is
-- then a description and the ID empty; a family search can find it later.
CREATE TABLE relief_cases (
    id                INTEGER PRIMARY KEY,
    region_code       TEXT NOT NULL REFERENCES regions (code),
    intake_on         TEXT NOT NULL,
    name              TEXT NOT NULL CHECK (length(name) > 0),
    identity_known    INTEGER NOT NULL CHECK (identity_known IN (0, 1)),
    id_number_sealed  TEXT,
    id_number_index   TEXT,
    sex               TEXT NOT NULL CHECK (sex IN ('male', 'female', 'unknown')),
    grp               TEXT NOT NULL CHECK (grp IN ('minor', 'elderly', 'disabled', 'mental', 'other')),
    services          TEXT NOT NULL DEFAULT '',
    family_search     TEXT NOT NULL CHECK (family_search IN ('none', 'searching', 'found', 'not_found')),
    left_on           TEXT,
    outcome           TEXT CHECK (outcome IN ('returned', 'reunited', 'referred', 'self_left', 'long_stay')),
    notes             TEXT NOT NULL DEFAULT '',
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    CHECK ((left_on IS NULL) = (outcome IS NULL)),
    CHECK ((identity_known = 1) = (id_number_index IS NOT NULL))
);
CREATE INDEX relief_cases_intake ON relief_cases (region_code, intake_on);
