-- Funeral (殡葬, DOMAIN.md §6): cemeteries with their plots over time, and cremations. The plots a
-- cemetery has at completion count from its completion date; later additions are dated
-- events below (FORMATS.md `cemeteries`, `plot-additions`).

-- A cemetery of a district (6-digit region) or a street (9-digit). 已建成 and 停用 ones
-- have a completion date; one under construction has none yet.
CREATE TABLE cemeteries (
    id            INTEGER PRIMARY KEY,
    number        TEXT NOT NULL UNIQUE CHECK (length(number) > 0),
    name          TEXT NOT NULL CHECK (length(name) > 0),
    kind          TEXT NOT NULL CHECK (kind IN ('public', 'commercial')),
    region_code   TEXT NOT NULL REFERENCES regions (code),
    status        TEXT NOT NULL CHECK (status IN ('building', 'completed', 'closed')),
    completed_on  TEXT,
    plots         INTEGER NOT NULL DEFAULT 0 CHECK (plots >= 0),
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    CHECK ((status = 'building') = (completed_on IS NULL))
);
CREATE INDEX cemeteries_region ON cemeteries (region_code, kind);
CREATE INDEX cemeteries_completed ON cemeteries (completed_on);

-- Plots (墓穴/格位) added to a cemetery on a day after its completion, keyed by
-- cemetery and day.
CREATE TABLE cemetery_plot_additions (
    id           INTEGER PRIMARY KEY,
    cemetery_id  INTEGER NOT NULL REFERENCES cemeteries (id),
    added_on     TEXT NOT NULL,
    plots        INTEGER NOT NULL CHECK (plots > 0),
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    UNIQUE (cemetery_id, added_on)
);
CREATE INDEX cemetery_plot_additions_day ON cemetery_plot_additions (added_on);

-- A cremation (火化) as the funeral home reports it. The deceased's ID is protected like a
-- member's; its blind index makes the record a death this system holds itself for the
-- data comparison (DOMAIN.md §3). One record per person.
CREATE TABLE cremations (
    id                INTEGER PRIMARY KEY,
    id_number_sealed  TEXT NOT NULL,
    id_number_index   TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL CHECK (length(name) > 0),
    died_on           TEXT NOT NULL,
    cremated_on       TEXT NOT NULL,
    region_code       TEXT NOT NULL REFERENCES regions (code),
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    CHECK (cremated_on >= died_on)
);
CREATE INDEX cremations_region ON cremations (region_code, cremated_on);
