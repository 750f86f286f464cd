-- Issue 18: every server keeps the skill taxonomy (categories, skills, relations) in memory
-- (package taxonomy) instead of loading the same rows for every page. taxonomy_version says
-- when that copy is stale: every change to the three tables, whoever makes it (the API, a
-- migration, an operator's SQL, erasure clearing proposed_by), bumps it in the changing
-- transaction, so a server that reads the version after the commit sees the change. One row,
-- bumped by row triggers (a statement that changes no row bumps nothing: erasure's UPDATE of a
-- member who proposed no skill). Taxonomy writers queue on the row until they commit: they are
-- moderators' decisions and members' proposals, a few a day.
CREATE TABLE taxonomy_version (
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	version bigint NOT NULL
);
INSERT INTO taxonomy_version (version) VALUES (1);

CREATE FUNCTION bump_taxonomy_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE taxonomy_version SET version = version + 1;
	RETURN NULL;
END $$;

CREATE TRIGGER skill_categories_bump_taxonomy AFTER INSERT OR UPDATE OR DELETE ON skill_categories
	FOR EACH ROW EXECUTE FUNCTION bump_taxonomy_version();
CREATE TRIGGER skill_categories_truncate_taxonomy AFTER TRUNCATE ON skill_categories
	FOR EACH STATEMENT EXECUTE FUNCTION bump_taxonomy_version();
CREATE TRIGGER skills_bump_taxonomy AFTER INSERT OR UPDATE OR DELETE ON skills
	FOR EACH ROW EXECUTE FUNCTION bump_taxonomy_version();
CREATE TRIGGER skills_truncate_taxonomy AFTER TRUNCATE ON skills
	FOR EACH STATEMENT EXECUTE FUNCTION bump_taxonomy_version();
CREATE TRIGGER skill_relations_bump_taxonomy AFTER INSERT OR UPDATE OR DELETE ON skill_relations
	FOR EACH ROW EXECUTE FUNCTION bump_taxonomy_version();
CREATE TRIGGER skill_relations_truncate_taxonomy AFTER TRUNCATE ON skill_relations
	FOR EACH STATEMENT EXECUTE FUNCTION bump_taxonomy_version();
