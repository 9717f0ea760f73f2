-- The public directory (C8): postcode centroids and the public fields of services.
CREATE TABLE postcodes (
    postcode TEXT PRIMARY KEY,
    latitude DOUBLE PRECISION NOT NULL,
    longitude DOUBLE PRECISION NOT NULL
);

ALTER TABLE services ADD COLUMN household_types TEXT NOT NULL DEFAULT '';
ALTER TABLE services ADD COLUMN age_groups TEXT NOT NULL DEFAULT '';
ALTER TABLE services ADD COLUMN exclusions TEXT NOT NULL DEFAULT '';
ALTER TABLE services ADD COLUMN accommodation_type TEXT NOT NULL DEFAULT '';
ALTER TABLE services ADD COLUMN ethnicity_focus TEXT NOT NULL DEFAULT '';
ALTER TABLE services ADD COLUMN contact_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE services ADD COLUMN contact_email TEXT NOT NULL DEFAULT '';
ALTER TABLE services ADD COLUMN website TEXT NOT NULL DEFAULT '';
ALTER TABLE services ADD COLUMN accessibility TEXT NOT NULL DEFAULT '';
ALTER TABLE services ADD COLUMN latitude DOUBLE PRECISION;
ALTER TABLE services ADD COLUMN longitude DOUBLE PRECISION;
-- Current client schedules, kept up to date by schedule changes and an hourly job, so that
-- "places available" does not count a million schedules per search.
ALTER TABLE services ADD COLUMN current_clients BIGINT NOT NULL DEFAULT 0;
ALTER TABLE services ADD COLUMN current_clients_on TEXT NOT NULL DEFAULT '';
CREATE INDEX services_location ON services(latitude, longitude);
CREATE INDEX services_type ON services(service_type);
