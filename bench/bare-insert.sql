-- pgbench script for bench/run: the PostgreSQL ceiling of generate-link, one single-row INSERT per transaction
-- (committed and flushed, as each 200 of generate-link is), into a table with a uuid key and a unique code.
\set n random(1, 1000000000000000)
INSERT INTO bare_inserts (id, code, prompt, created_at) VALUES (gen_random_uuid(), :n, 'Give me link to login at {name}', now());
