-- Region tree (行政区划): city → district → street/township → community/village.
CREATE TABLE regions (
    code        TEXT PRIMARY KEY NOT NULL CHECK (length(code) IN (6, 9, 12)),
    name        TEXT NOT NULL CHECK (length(name) > 0),
    level       TEXT NOT NULL CHECK (level IN ('city', 'district', 'street', 'community')),
    parent_code TEXT REFERENCES regions (code),
    -- Only communities/villages carry the flag; it picks urban or rural standards.
    urban_rural TEXT CHECK (urban_rural IN ('urban', 'rural')),
    enabled     INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    CHECK ((level = 'community') = (urban_rural IS NOT NULL)),
    CHECK ((level = 'city') = (parent_code IS NULL))
);
CREATE INDEX regions_parent ON regions (parent_code);

-- Holiday calendar: days that break the Monday–Friday rule.
-- 'rest' = 休 (a weekday off), 'work' = 班 (a weekend make-up workday, 调休).
CREATE TABLE holidays (
    day  TEXT PRIMARY KEY NOT NULL CHECK (length(day) = 10),
    kind TEXT NOT NULL CHECK (kind IN ('rest', 'work'))
);
