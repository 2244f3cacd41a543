-- The covered persons a 低保/特困 approval fixed (METRICS.md counts "persons at approval";
-- a later review may change the case's current count). Cases approved before this column
-- existed take their current count.
ALTER TABLE cases ADD COLUMN approved_persons INTEGER;
UPDATE cases SET approved_persons = covered_persons WHERE approved_on IS NOT NULL;
