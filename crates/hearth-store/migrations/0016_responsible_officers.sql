-- Responsible officers (the Derbyshire contract management procedure and PI guidance): each
-- provider, in each authority it is registered with, has a lead (purchasing) officer and a
-- contract manager from the authority's staff; a service may name its own, and otherwise has
-- its provider's. The workbook's contract page names the contract manager.
ALTER TABLE provider_authorities ADD COLUMN lead_officer_id BIGINT REFERENCES users(id);
ALTER TABLE provider_authorities ADD COLUMN contract_manager_id BIGINT REFERENCES users(id);
ALTER TABLE services ADD COLUMN lead_officer_id BIGINT REFERENCES users(id);
ALTER TABLE services ADD COLUMN contract_manager_id BIGINT REFERENCES users(id);
CREATE INDEX services_lead_officer ON services(lead_officer_id);
CREATE INDEX services_contract_manager ON services(contract_manager_id);
