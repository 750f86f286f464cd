-- bench/peers/setup.sql - what PostGraphile 5 serves in the side-by-side benchmark (make bench-peers).
--
-- A schema `peers` of plain views over the tables SkillSwap reads for the benchmark's four queries,
-- with the semantics of SkillSwap's loaders where they filter (a category's skills and a skill's
-- related skills: APPROVED only), and smart tags naming the relations (views have no foreign
-- keys of their own). Simple views are inlined by the planner: PostgreSQL reads the same tables
-- and indexes as SkillSwap's statements. Re-runnable; run by the database owner.
DROP SCHEMA IF EXISTS peers CASCADE;
CREATE SCHEMA peers;

CREATE VIEW peers.members AS
    SELECT id, display_name, created_at FROM public.users;
COMMENT ON VIEW peers.members IS E'@primaryKey id';

CREATE VIEW peers.profiles AS
    SELECT user_id, bio, time_zone, city, country, languages, mode, visibility FROM public.profiles;
COMMENT ON VIEW peers.profiles IS E'@primaryKey user_id\n@foreignKey (user_id) references peers.members (id)|@fieldName member|@foreignFieldName profile';

CREATE VIEW peers.skill_categories AS
    SELECT id, slug, name_en, name_fr, position FROM public.skill_categories;
COMMENT ON VIEW peers.skill_categories IS E'@primaryKey id';

CREATE VIEW peers.skills AS
    SELECT id, slug, category_id, name_en, name_fr, status FROM public.skills;
COMMENT ON VIEW peers.skills IS E'@primaryKey id\n@foreignKey (category_id) references peers.skill_categories (id)|@fieldName category|@foreignFieldName skills';

CREATE VIEW peers.member_skills AS
    SELECT user_id, skill_id, kind, level, years_of_practice, description FROM public.member_skills;
COMMENT ON VIEW peers.member_skills IS E'@primaryKey user_id,skill_id\n@foreignKey (user_id) references peers.members (id)|@fieldName member|@foreignFieldName memberSkills\n@foreignKey (skill_id) references peers.skills (id)|@fieldName skill|@foreignFieldName holders';

-- SkillSwap's relatedSkills lists APPROVED related skills only.
CREATE VIEW peers.skill_relations AS
    SELECT r.skill_id, r.related_id, s.name_en AS related_name_en
    FROM public.skill_relations r JOIN public.skills s ON s.id = r.related_id AND s.status = 'APPROVED';
COMMENT ON VIEW peers.skill_relations IS E'@primaryKey skill_id,related_id\n@foreignKey (skill_id) references peers.skills (id)|@fieldName skill|@foreignFieldName relations\n@foreignKey (related_id) references peers.skills (id)|@fieldName related|@foreignFieldName relatedFrom';

-- The signed-in member, from the verified JWT's `sub` claim (PgLazyJWTPreset puts every claim in
-- jwt.claims.*): PostGraphile's usual `currentUser` pattern.
CREATE FUNCTION peers.current_member() RETURNS peers.members LANGUAGE sql STABLE AS $$
    SELECT * FROM peers.members WHERE id = nullif(current_setting('jwt.claims.sub', true), '')::uuid
$$;
