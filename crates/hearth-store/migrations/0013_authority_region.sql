-- Each authority says which part of the UK it is in, so the calendar knows its bank
-- holidays (issue 11: setting up a real authority). Authorities already here are in
-- England and Wales, the region every earlier deployment assumed.
ALTER TABLE authorities ADD COLUMN region TEXT NOT NULL DEFAULT 'england-and-wales';
