-- A spatial index for the directory's distance search (security review, load): SQLite's
-- R*Tree module holds each located service's point, kept by triggers whatever writes the
-- location, so a search reads only the services inside its box.
CREATE VIRTUAL TABLE service_locations USING rtree(id, min_lat, max_lat, min_lon, max_lon);
INSERT INTO service_locations (id, min_lat, max_lat, min_lon, max_lon)
    SELECT id, latitude, latitude, longitude, longitude FROM services
     WHERE latitude IS NOT NULL AND longitude IS NOT NULL;
CREATE TRIGGER services_location_insert AFTER INSERT ON services
WHEN NEW.latitude IS NOT NULL AND NEW.longitude IS NOT NULL
BEGIN
    INSERT INTO service_locations (id, min_lat, max_lat, min_lon, max_lon)
    VALUES (NEW.id, NEW.latitude, NEW.latitude, NEW.longitude, NEW.longitude);
END;
CREATE TRIGGER services_location_update AFTER UPDATE OF latitude, longitude ON services
BEGIN
    DELETE FROM service_locations WHERE id = OLD.id;
    INSERT INTO service_locations (id, min_lat, max_lat, min_lon, max_lon)
    SELECT NEW.id, NEW.latitude, NEW.latitude, NEW.longitude, NEW.longitude
     WHERE NEW.latitude IS NOT NULL AND NEW.longitude IS NOT NULL;
END;
CREATE TRIGGER services_location_delete AFTER DELETE ON services
BEGIN
    DELETE FROM service_locations WHERE id = OLD.id;
END;
