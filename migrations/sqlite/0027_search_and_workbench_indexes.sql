-- Indexes for a street of tens of thousands of households (measured with bench/load.sh at
-- 1,000,000 households: a surname search and the workbench took seconds).
--
-- The household search walks a region's households in (region, number) order and stops
-- when a page is full, instead of finding every match and sorting them.
CREATE INDEX households_region_number ON households (region_code, number);
DROP INDEX households_region;
-- The workbench: cases at a step in a region (the queue), and active cases due for review
-- in each community of a scope, counted from the index alone (replaces the index on
-- (status, next_review_on)).
CREATE INDEX cases_review_due ON cases (status, region_code, next_review_on, gradual_until);
DROP INDEX cases_next_review;
-- Gradual exits past their end: few cases, found without reading every active one.
CREATE INDEX cases_gradual ON cases (status, gradual_until);
-- Statistics for the new indexes at once (else the planner guesses until the next
-- PRAGMA optimize).
ANALYZE households;
ANALYZE cases;
