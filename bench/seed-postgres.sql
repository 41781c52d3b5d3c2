-- The PostgreSQL twin of seed-sqlite.sql: adds :rows ended OTP requests to the first instance (70% verified,
-- 20% expired, 7% failed, 3% validated codes), created_at spread over the 28 days before now (inside the
-- default retention of 30 days), distinct codes and
-- token hashes. Run by bench/run with: psql -v start=N -v rows=N -f seed-postgres.sql
\set ON_ERROR_STOP on
SET synchronous_commit = off;
SET maintenance_work_mem = '1GB';
BEGIN;
INSERT INTO otp_requests (id, instance_id, otp_type, code, status, name, bound_chat_id, chat_id, phone,
  prompt_message, success_message, failed_message, expired_message, callback_success, callback_failed, redirect,
  created_at, expires_at, message_received_at, verified_at, validated_at, ended_at, failed_reason, failed_attempts,
  verification_token_hash, exchange_token_hash, exchange_expires_at, exchanged_at, expired_notice_at, code_hash,
  link_opened_at, link_clicks)
SELECT
  (lpad(to_hex((extract(epoch FROM created) * 1000)::bigint), 12, '0') || '7' || lpad(to_hex(i & 4095), 3, '0')
    || to_hex(32768 | ((i >> 12) & 16383)) || lpad(to_hex(i), 12, '0'))::uuid,
  inst.id,
  CASE WHEN k >= 97 THEN 'code' ELSE 'link' END,
  CASE WHEN k >= 97 THEN '' ELSE
    chr(65 + (c % 26)::int) || chr(65 + (c / 26 % 26)::int) || chr(65 + (c / 676 % 26)::int) || chr(65 + (c / 17576 % 26)::int)
    || chr(65 + (c / 456976 % 26)::int) || chr(65 + (c / 11881376 % 26)::int) || chr(65 + (c / 308915776 % 26)::int)
    || chr(65 + (c / 8031810176 % 26)::int) END,
  CASE WHEN k < 70 THEN 'verified' WHEN k < 90 THEN 'expired' WHEN k < 97 THEN 'failed' ELSE 'validated' END,
  'Bench', NULL,
  CASE WHEN k < 70 OR k >= 90 THEN phone || '@c.us' END,
  CASE WHEN k < 70 OR k >= 90 THEN '+' || phone END,
  NULL, NULL, NULL, NULL,
  CASE WHEN k < 70 THEN 'https://app.example.com/passline/callback' END,
  CASE WHEN k >= 70 AND k < 97 THEN 'https://app.example.com/passline/callback' END,
  CASE WHEN k < 70 THEN 'https://app.example.com/login/done' END,
  created, created + interval '30 minutes',
  CASE WHEN k < 70 OR (k >= 90 AND k < 97) THEN created + make_interval(secs => 20 + i % 40) END,
  CASE WHEN k < 70 THEN created + make_interval(secs => 30 + i % 60) END,
  CASE WHEN k >= 97 THEN created + interval '40 seconds' END,
  CASE WHEN k < 70 THEN created + make_interval(secs => 30 + i % 60) WHEN k < 90 THEN created + interval '30 minutes'
       WHEN k < 97 THEN created + interval '25 seconds' ELSE created + interval '40 seconds' END,
  CASE WHEN k >= 90 AND k < 97 THEN (CASE k % 3 WHEN 0 THEN 'declined' WHEN 1 THEN 'wrong_sender' ELSE 'cancelled' END) END,
  CASE WHEN k >= 97 THEN (i % 3)::int ELSE 0 END,
  CASE WHEN k < 70 OR (k >= 90 AND k < 97) THEN sha256(int8send(i) || '\x01'::bytea) END,
  CASE WHEN k < 70 THEN sha256(int8send(i) || '\x02'::bytea) END,
  CASE WHEN k < 70 THEN created + interval '330 seconds' END,
  CASE WHEN k < 70 THEN created + make_interval(secs => 35 + i % 60) END,
  NULL,
  CASE WHEN k >= 97 THEN sha256(int8send(i) || '\x03'::bytea) END,
  CASE WHEN k < 70 THEN created + interval '5 seconds' END,
  CASE WHEN k < 70 THEN 1 ELSE 0 END
FROM (SELECT id FROM instances ORDER BY created_at LIMIT 1) inst,
  LATERAL (
    SELECT i, i % 100 AS k,
      now() - interval '28 days' + (i - :start) * (interval '28 days' / :rows) AS created,
      (i * 2654435761) % 208827064576 AS c,
      '2010' || lpad((i % 1000000)::text, 8, '0') AS phone
    FROM generate_series(:start::bigint, :start::bigint + :rows - 1) AS i) r;
COMMIT;
-- A months-old table has been vacuumed and checkpointed long ago: do both now, so that the measurement after the
-- seed does not pay for the bulk load (autovacuum of 5M fresh rows, the first checkpoint's full-page writes).
VACUUM (ANALYZE) otp_requests;
CHECKPOINT;
