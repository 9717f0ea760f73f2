-- Records loaded from an authority's old system (issue 11, "Loading existing records") keep
-- that system's reference, so loading the same file again finds them and adds nothing.
-- Providers, services and contracts have references of their own already; properties,
-- clients and client schedules get one here. A reference is used once in an authority.
ALTER TABLE properties ADD COLUMN external_ref TEXT;
ALTER TABLE clients ADD COLUMN external_ref TEXT;
ALTER TABLE client_schedules ADD COLUMN external_ref TEXT;
CREATE UNIQUE INDEX properties_external_ref ON properties(authority_id, external_ref);
CREATE UNIQUE INDEX clients_external_ref ON clients(authority_id, external_ref);
CREATE INDEX client_schedules_external_ref ON client_schedules(external_ref);
-- A provider's contacts, whose reference is kept per provider (a provider is shared by the
-- authorities it works with).
ALTER TABLE contacts ADD COLUMN external_ref TEXT;
CREATE UNIQUE INDEX contacts_external_ref ON contacts(provider_id, external_ref);
