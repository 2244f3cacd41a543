-- Capacity for the balance analysis (DOMAIN.md §7).
-- Resident population (常住人口) of each district at a year's end, urban and rural, as the
-- statistics bureau publishes it: the denominator of "per 1,000 residents" indicators.
CREATE TABLE region_residents (
    district_code  TEXT NOT NULL REFERENCES regions (code),
    year           INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    urban          INTEGER NOT NULL CHECK (urban >= 0),
    rural          INTEGER NOT NULL CHECK (rural >= 0),
    updated_by     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (district_code, year),
    CHECK (urban + rural > 0)
);

-- Civil-affairs staff of a district by post: posts authorised (编制) and filled (实有).
CREATE TABLE staff_posts (
    district_code  TEXT NOT NULL REFERENCES regions (code),
    post           TEXT NOT NULL,
    authorised     INTEGER NOT NULL CHECK (authorised >= 0),
    filled         INTEGER NOT NULL CHECK (filled >= 0),
    updated_by     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (district_code, post)
);

-- Trainings the district's staff attended, by post: attendances are 人次.
CREATE TABLE staff_trainings (
    id             INTEGER PRIMARY KEY,
    district_code  TEXT NOT NULL REFERENCES regions (code),
    post           TEXT NOT NULL,
    held_on        TEXT NOT NULL,
    topic          TEXT NOT NULL CHECK (length(topic) > 0),
    attendees      INTEGER NOT NULL CHECK (attendees > 0),
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX staff_trainings_district ON staff_trainings (district_code, held_on);
