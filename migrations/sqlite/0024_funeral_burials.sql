-- Burials (安葬) and violation cases (殡葬违规案件), DOMAIN.md §6.

-- A burial: into a cemetery (its region is the cemetery's) or, for a sea burial (海葬), into
-- no cemetery but a region. Every form except 海葬 takes one plot (墓穴/格位) of the
-- cemetery. A body (遗体) is buried only into a cemetery. The deceased's ID, when known, is
-- protected like a member's; its blind index makes the burial a death this system holds.
CREATE TABLE burials (
    id                INTEGER PRIMARY KEY,
    cemetery_id       INTEGER REFERENCES cemeteries (id),
    region_code       TEXT NOT NULL REFERENCES regions (code),
    buried_on         TEXT NOT NULL,
    name              TEXT NOT NULL CHECK (length(name) > 0),
    id_number_sealed  TEXT,
    id_number_index   TEXT UNIQUE,
    form              TEXT NOT NULL CHECK (form IN ('grave', 'niche', 'tree', 'flower', 'lawn', 'sea')),
    remains           TEXT NOT NULL CHECK (remains IN ('ashes', 'body')),
    takes_plot        INTEGER NOT NULL CHECK (takes_plot IN (0, 1)),
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    CHECK ((form = 'sea') = (cemetery_id IS NULL)),
    CHECK (takes_plot = (CASE WHEN form = 'sea' THEN 0 ELSE 1 END)),
    CHECK (remains = 'ashes' OR cemetery_id IS NOT NULL),
    CHECK ((id_number_sealed IS NULL) = (id_number_index IS NULL))
);
CREATE INDEX burials_cemetery ON burials (cemetery_id, buried_on);
CREATE INDEX burials_region ON burials (region_code, buried_on);

-- A violation case (违规土葬、乱埋乱葬、违规建墓): found at a place on a day, open until
-- handled with a result and a date not before it was found.
CREATE TABLE funeral_violations (
    id             INTEGER PRIMARY KEY,
    case_no        TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL CHECK (kind IN ('illegal_burial', 'random_burial', 'illegal_tomb')),
    place          TEXT NOT NULL CHECK (length(place) > 0),
    region_code    TEXT NOT NULL REFERENCES regions (code),
    found_on       TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('open', 'handled')),
    handling       TEXT CHECK (handling IS NULL OR handling IN ('moved', 'cremated', 'restored', 'other')),
    handling_note  TEXT,
    handled_on     TEXT,
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1,
    CHECK ((status = 'handled') = (handled_on IS NOT NULL)),
    CHECK ((status = 'handled') = (handling IS NOT NULL)),
    CHECK (handled_on IS NULL OR handled_on >= found_on)
);
CREATE INDEX funeral_violations_region ON funeral_violations (region_code, found_on);
