-- A line taken off a payroll stays off: later payrolls skip that case and month, as
-- 补发 and as re-issue. The month is kept with the correction to find them.
ALTER TABLE payroll_corrections ADD COLUMN month_paid TEXT;
CREATE INDEX payroll_corrections_case_month ON payroll_corrections (case_id, month_paid);
-- Deleting a line (regeneration, a correction) sets anomalies' line_id to NULL: without
-- an index every deleted line scans the anomalies.
CREATE INDEX payment_anomalies_line ON payment_anomalies (line_id);
