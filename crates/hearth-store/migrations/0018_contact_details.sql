-- A provider contact holds what the portal briefing's contact form holds (issue 10, core
-- records): a job title, positions beyond the main one (comma-separated position codes),
-- mobile, fax and pager numbers, a web address, a postal address of four lines with town,
-- postcode, UPRN and USRN, directions, whether the contact's details are confidential, and
-- disabled access at that address ('' not set, 'yes' or 'no').
ALTER TABLE contacts ADD COLUMN job_title TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN other_positions TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN mobile TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN fax TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN pager TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN web_address TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN address_line1 TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN address_line2 TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN address_line3 TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN address_line4 TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN town TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN postcode TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN uprn TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN usrn TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN directions TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN confidential BIGINT NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN disabled_access TEXT NOT NULL DEFAULT '';
