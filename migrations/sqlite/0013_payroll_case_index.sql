-- Looking up a case's payments for a month whatever their outcome (the payroll's "not yet
-- paid" check counts failed ones too): the partial unique index cannot serve that.
CREATE INDEX payroll_lines_case_month ON payroll_lines (case_id, month_paid);
