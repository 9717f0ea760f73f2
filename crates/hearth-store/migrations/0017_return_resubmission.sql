-- A return sent back to the provider (incomplete, or an explanation asked for) has a date by
-- which the corrected return or the explanation is due (the portal briefing: a rejected
-- workbook must be resubmitted). Empty for every other return.
ALTER TABLE performance_returns ADD COLUMN resubmit_by TEXT;
