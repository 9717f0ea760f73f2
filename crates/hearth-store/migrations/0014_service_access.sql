-- The portal briefing's service details ask about visual and hearing impairment support
-- separately, and the directory shows who is eligible (issue 10, "missing parts of the core
-- records"). A service that said it supported "visual or hearing impairment" keeps both.
ALTER TABLE services ADD COLUMN visual_impairment_support BIGINT NOT NULL DEFAULT 0;
ALTER TABLE services ADD COLUMN hearing_impairment_support BIGINT NOT NULL DEFAULT 0;
ALTER TABLE services ADD COLUMN eligibility TEXT NOT NULL DEFAULT '';
UPDATE services SET visual_impairment_support = impairment_support,
    hearing_impairment_support = impairment_support;
ALTER TABLE services DROP COLUMN impairment_support;
