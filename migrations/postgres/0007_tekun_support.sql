-- 特困 support mode (DOMAIN.md §2): at home (分散供养) or in a care institution (集中供养).
-- The institution is named here until the facility register (elderly care) exists; it
-- is then linked by facility.
ALTER TABLE cases ADD COLUMN support_mode TEXT CHECK (support_mode IN ('home', 'institution'));
ALTER TABLE cases ADD COLUMN support_facility TEXT;
