-- Adds @rows ended OTP requests to the first instance, as a months-old deployment holds them: 70% verified,
-- 20% expired, 7% failed, 3% validated codes; created_at spread evenly over the 28 days before @now (inside the default retention of 30 days); distinct codes
-- (row number @start.. mapped through a bijection on 26^8) and, where a token hash is set, distinct hashes.
-- Run by bench/run with: sqlite3 -cmd '.parameter set @start N' -cmd '.parameter set @rows N' -cmd '.parameter set @now MS'
PRAGMA cache_size = -1000000;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT @start UNION ALL SELECT i + 1 FROM n WHERE i < @start + @rows - 1),
r AS (
  SELECT i, i % 100 AS k,
    @now - 2419200000 + (i - @start) * (2419200000 / @rows) AS created,
    (i * 2654435761) % 208827064576 AS c,
    '2010' || printf('%08d', i % 1000000) AS phone
  FROM n)
INSERT INTO otp_requests (id, instance_id, otp_type, code, status, name, bound_chat_id, chat_id, phone,
  prompt_message, success_message, failed_message, expired_message, callback_success, callback_failed, redirect,
  created_at, expires_at, message_received_at, verified_at, validated_at, ended_at, failed_reason, failed_attempts,
  verification_token_hash, exchange_token_hash, exchange_expires_at, exchanged_at, expired_notice_at, code_hash,
  link_opened_at, link_clicks)
SELECT
  printf('%08X-%04X-7%03X-%04X-%012X', created >> 16, created & 65535, i & 4095, 32768 | ((i >> 12) & 16383), i),
  (SELECT id FROM instances ORDER BY created_at LIMIT 1),
  CASE WHEN k >= 97 THEN 'code' ELSE 'link' END,
  CASE WHEN k >= 97 THEN '' ELSE
    char(65 + c % 26, 65 + c / 26 % 26, 65 + c / 676 % 26, 65 + c / 17576 % 26,
         65 + c / 456976 % 26, 65 + c / 11881376 % 26, 65 + c / 308915776 % 26, 65 + c / 8031810176 % 26) END,
  CASE WHEN k < 70 THEN 'verified' WHEN k < 90 THEN 'expired' WHEN k < 97 THEN 'failed' ELSE 'validated' END,
  'Bench', NULL,
  CASE WHEN k < 70 OR k >= 90 THEN phone || '@c.us' END,
  CASE WHEN k < 70 OR k >= 90 THEN '+' || phone END,
  NULL, NULL, NULL, NULL,
  CASE WHEN k < 70 THEN 'https://app.example.com/passline/callback' END,
  CASE WHEN k >= 70 AND k < 97 THEN 'https://app.example.com/passline/callback' END,
  CASE WHEN k < 70 THEN 'https://app.example.com/login/done' END,
  created, created + 1800000,
  CASE WHEN k < 70 OR (k >= 90 AND k < 97) THEN created + 20000 + i % 40000 END,
  CASE WHEN k < 70 THEN created + 30000 + i % 60000 END,
  CASE WHEN k >= 97 THEN created + 40000 END,
  CASE WHEN k < 70 THEN created + 30000 + i % 60000 WHEN k < 90 THEN created + 1800000 WHEN k < 97 THEN created + 25000 ELSE created + 40000 END,
  CASE WHEN k >= 90 AND k < 97 THEN (CASE k % 3 WHEN 0 THEN 'declined' WHEN 1 THEN 'wrong_sender' ELSE 'cancelled' END) END,
  CASE WHEN k >= 97 THEN i % 3 ELSE 0 END,
  CASE WHEN k < 70 OR (k >= 90 AND k < 97) THEN randomblob(32) END,
  CASE WHEN k < 70 THEN randomblob(32) END,
  CASE WHEN k < 70 THEN created + 330000 END,
  CASE WHEN k < 70 THEN created + 35000 + i % 60000 END,
  NULL,
  CASE WHEN k >= 97 THEN randomblob(32) END,
  CASE WHEN k < 70 THEN created + 5000 END,
  CASE WHEN k < 70 THEN 1 ELSE 0 END
FROM r;
COMMIT;
