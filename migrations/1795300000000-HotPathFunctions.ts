import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The hot paths as SQL functions, so that each step is ONE round trip and one commit: the reservation of a
 * send (lock, history, limits, closing the previous code, the new code and its event), the record of sends
 * (many per call: the writes of concurrent requests share a commit), a verify's check-and-write, and a
 * refresh. Each function writes its audit events in its own transaction, with the change they record.
 */
const FUNCTIONS = [
  // ISO 8601 in UTC with milliseconds, as JavaScript's toISOString() writes it (the audit details' format).
  `CREATE FUNCTION sms_auth_iso(p_at timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
     SELECT to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
   $$`,

  // Whole seconds until p_at, at least 1 (a Retry-After never says 0).
  `CREATE FUNCTION sms_auth_seconds_until(p_at timestamptz, p_now timestamptz) RETURNS integer
     LANGUAGE sql IMMUTABLE AS $$
     SELECT greatest(1, ceil(extract(epoch FROM p_at - p_now)))::integer
   $$`,

  `CREATE FUNCTION sms_auth_audit(p_type varchar, p_outcome varchar, p_phone varchar, p_user_id uuid,
     p_verification_id uuid, p_session_id uuid, p_provider varchar, p_ip varchar, p_user_agent varchar,
     p_details jsonb) RETURNS void LANGUAGE sql AS $$
     INSERT INTO audit_events
       (type, outcome, phone_number, user_id, verification_id, session_id, provider, ip, user_agent, details)
     VALUES (p_type, p_outcome, p_phone, p_user_id, p_verification_id, p_session_id, p_provider, left(p_ip, 64),
       left(p_user_agent, 512), coalesce(p_details, '{}'))
   $$`,

  // Events given as a JSON array of objects with the audit_events columns as keys; inserted in array order.
  `CREATE FUNCTION sms_auth_audit_json(p_events jsonb) RETURNS void LANGUAGE sql AS $$
     INSERT INTO audit_events
       (type, outcome, phone_number, user_id, verification_id, session_id, provider, ip, user_agent, details)
     SELECT e->>'type', e->>'outcome', e->>'phone_number', (e->>'user_id')::uuid, (e->>'verification_id')::uuid,
            (e->>'session_id')::uuid, e->>'provider', left(e->>'ip', 64), left(e->>'user_agent', 512),
            coalesce(e->'details', '{}')
       FROM jsonb_array_elements(coalesce(p_events, '[]')) WITH ORDINALITY AS events(e, position)
      ORDER BY position
   $$`,

  /*
   * SPEC §3's send limits: the cooldown after the n-th send of the hour is cooldown × 2^(n-1); then the daily
   * and hourly caps, whose wait never ends before the cooldown does (else the client would retry into
   * RESEND_TOO_SOON). NULL code: allowed. The doubling stops at 2^20 (60 s → 2 years): no overflow.
   */
  `CREATE FUNCTION sms_auth_send_decision(p_sends_last_hour integer, p_sends_last_day integer,
     p_last_sent_at timestamptz, p_oldest_in_hour_at timestamptz, p_oldest_in_day_at timestamptz,
     p_now timestamptz, p_cooldown_seconds integer, p_per_hour integer, p_per_day integer,
     OUT code text, OUT retry_after integer, OUT limit_name text) LANGUAGE plpgsql IMMUTABLE AS $$
   DECLARE
     cooldown_ends timestamptz;
     cooldown_wait integer := 0;
   BEGIN
     IF p_last_sent_at IS NOT NULL AND p_sends_last_hour > 0 THEN
       cooldown_ends := p_last_sent_at
         + make_interval(secs => p_cooldown_seconds * power(2, least(p_sends_last_hour - 1, 20)));
       IF cooldown_ends > p_now THEN cooldown_wait := sms_auth_seconds_until(cooldown_ends, p_now); END IF;
     END IF;
     IF p_sends_last_day >= p_per_day AND p_oldest_in_day_at IS NOT NULL THEN
       code := 'RATE_LIMITED'; limit_name := 'phone_day';
       retry_after := greatest(sms_auth_seconds_until(p_oldest_in_day_at + interval '24 hours', p_now), cooldown_wait);
     ELSIF p_sends_last_hour >= p_per_hour AND p_oldest_in_hour_at IS NOT NULL THEN
       code := 'RATE_LIMITED'; limit_name := 'phone_hour';
       retry_after := greatest(sms_auth_seconds_until(p_oldest_in_hour_at + interval '1 hour', p_now), cooldown_wait);
     ELSIF cooldown_wait > 0 THEN
       code := 'RESEND_TOO_SOON'; limit_name := 'phone_cooldown'; retry_after := cooldown_wait;
     END IF;
   END
   $$`,

  /*
   * Reserves a send: under the phone's advisory lock (sends of one phone take turns; a verify locks the
   * pending row instead, which closing it here waits for), reads the lock and the history that counts toward
   * cooldown and caps (every code of the last 24 h except failed ones), refuses with its audit event, or
   * closes the pending code (expired or canceled) and inserts the new one with its code_requested event.
   * resend_after counts the send just reserved.
   */
  `CREATE FUNCTION sms_auth_reserve_send(p_id uuid, p_phone varchar, p_country varchar, p_code_hash varchar,
     p_max_attempts integer, p_locale varchar, p_is_test_number boolean, p_ip varchar, p_user_agent varchar,
     p_ttl_seconds integer, p_action varchar, p_cooldown_seconds integer, p_per_hour integer, p_per_day integer,
     OUT result text, OUT db_now timestamptz, OUT locked_until timestamptz, OUT retry_after integer,
     OUT refused_limit text, OUT resend_after integer) LANGUAGE plpgsql AS $$
   DECLARE
     history record;
     decision record;
     replaced uuid[];
   BEGIN
     db_now := now();
     PERFORM pg_advisory_xact_lock(hashtextextended(p_phone, 0));
     SELECT l.locked_until INTO locked_until
       FROM phone_locks l WHERE l.phone_number = p_phone AND l.locked_until > db_now;
     IF locked_until IS NOT NULL THEN
       result := 'PHONE_LOCKED';
       retry_after := sms_auth_seconds_until(locked_until, db_now);
       PERFORM sms_auth_audit('code_send_failed', 'failure', p_phone, NULL, NULL, NULL, NULL, p_ip, p_user_agent,
         jsonb_build_object('action', p_action, 'retry_after', retry_after,
           'locked_until', sms_auth_iso(locked_until)));
       RETURN;
     END IF;

     SELECT count(*) FILTER (WHERE v.created_at > db_now - interval '1 hour')::integer AS sends_last_hour,
            count(*)::integer AS sends_last_day,
            max(v.created_at) AS last_sent_at,
            min(v.created_at) FILTER (WHERE v.created_at > db_now - interval '1 hour') AS oldest_in_hour_at,
            min(v.created_at) AS oldest_in_day_at
       INTO history
       FROM sms_verifications v
      WHERE v.phone_number = p_phone AND v.created_at > db_now - interval '24 hours' AND v.status <> 'failed';
     SELECT * INTO decision FROM sms_auth_send_decision(history.sends_last_hour, history.sends_last_day,
       history.last_sent_at, history.oldest_in_hour_at, history.oldest_in_day_at, db_now, p_cooldown_seconds,
       p_per_hour, p_per_day);
     IF decision.code IS NOT NULL THEN
       result := decision.code;
       retry_after := decision.retry_after;
       refused_limit := decision.limit_name;
       PERFORM sms_auth_audit('rate_limited', 'failure', p_phone, NULL, NULL, NULL, NULL, p_ip, p_user_agent,
         jsonb_build_object('action', p_action, 'retry_after', retry_after, 'limit', refused_limit));
       RETURN;
     END IF;

     WITH closed AS (
       UPDATE sms_verifications v
          SET status = CASE WHEN v.expires_at <= db_now THEN 'expired' ELSE 'canceled' END, updated_at = db_now
        WHERE v.phone_number = p_phone AND v.status = 'pending'
        RETURNING v.id)
     SELECT coalesce(array_agg(closed.id), '{}') INTO replaced FROM closed;
     INSERT INTO sms_verifications (id, phone_number, country, code_hash, status, attempts, max_attempts, locale,
       is_test_number, ip, user_agent, expires_at)
     VALUES (p_id, p_phone, p_country, p_code_hash, 'pending', 0, p_max_attempts, p_locale, p_is_test_number,
       left(p_ip, 64), left(p_user_agent, 512), db_now + make_interval(secs => p_ttl_seconds));
     PERFORM sms_auth_audit('code_requested', 'success', p_phone, NULL, p_id, NULL, NULL, p_ip, p_user_agent,
       jsonb_build_object('action', p_action, 'locale', p_locale, 'test_number', p_is_test_number,
         'replaced', to_jsonb(replaced)));

     result := 'RESERVED';
     SELECT * INTO decision FROM sms_auth_send_decision(history.sends_last_hour + 1, history.sends_last_day + 1,
       db_now, coalesce(history.oldest_in_hour_at, db_now), coalesce(history.oldest_in_day_at, db_now), db_now,
       p_cooldown_seconds, p_per_hour, p_per_day);
     resend_after := coalesce(decision.retry_after, 0);
   END
   $$`,

  /*
   * Many reservations in one statement (and one commit): the sends of concurrent requests. Taken in the order
   * of their phones' lock keys, so that two statements lock phones in the same order and never deadlock; two
   * sends of one phone keep their order, and the second sees the first.
   */
  `CREATE FUNCTION sms_auth_reserve_sends(p_requests jsonb, p_max_attempts integer, p_ttl_seconds integer,
     p_cooldown_seconds integer, p_per_hour integer, p_per_day integer)
     RETURNS TABLE (request integer, result text, db_now timestamptz, locked_until timestamptz, retry_after integer,
       refused_limit text, resend_after integer) LANGUAGE plpgsql AS $$
   DECLARE
     item record;
   BEGIN
     FOR item IN
       SELECT e.value AS r, e.position::integer AS position
         FROM jsonb_array_elements(p_requests) WITH ORDINALITY AS e(value, position)
        ORDER BY hashtextextended(e.value->>'phone_number', 0), e.position
     LOOP
       RETURN QUERY SELECT item.position, reserved.*
         FROM sms_auth_reserve_send((item.r->>'id')::uuid, item.r->>'phone_number', item.r->>'country',
           item.r->>'code_hash', p_max_attempts, item.r->>'locale', (item.r->>'is_test_number')::boolean,
           item.r->>'ip', item.r->>'user_agent', p_ttl_seconds, item.r->>'action', p_cooldown_seconds, p_per_hour,
           p_per_day) AS reserved;
     END LOOP;
   END
   $$`,

  /*
   * The records of sends that happened (or did not), many per call so that concurrent requests share one
   * statement and one commit. Each record applies at most once: its UPDATE matches only while the code has
   * no delivery state (for a void: while nothing was sent), and its delivery rows and events are written only
   * if it matched, so a retry after a lost reply writes nothing twice. Taken in the order of the phones' lock
   * keys, then ids, like the other batches: statements lock rows in one order and never deadlock.
   */
  `CREATE FUNCTION sms_auth_record_sends(p_records jsonb) RETURNS TABLE (verification_id uuid, applied boolean)
     LANGUAGE plpgsql AS $$
   DECLARE
     rec jsonb;
     record_id uuid;
   BEGIN
     FOR rec IN
       SELECT value FROM jsonb_array_elements(p_records)
        ORDER BY hashtextextended(value->>'phone_number', 0), value->>'verification_id'
     LOOP
       record_id := (rec->>'verification_id')::uuid;
       CASE rec->>'kind'
         WHEN 'sent' THEN
           UPDATE sms_verifications v
              SET provider = rec->>'provider', request_id = rec->>'message_id',
                  delivery_status = rec->>'delivery_status', updated_at = now()
            WHERE v.id = record_id AND v.delivery_status IS NULL;
         WHEN 'send_failed' THEN
           UPDATE sms_verifications v
              SET status = CASE WHEN v.status IN ('pending', 'canceled', 'expired') THEN 'failed' ELSE v.status END,
                  delivery_status = 'failed', updated_at = now()
            WHERE v.id = record_id AND v.delivery_status IS NULL;
         WHEN 'reservation_voided' THEN
           UPDATE sms_verifications v SET status = 'failed', updated_at = now()
            WHERE v.id = record_id AND v.status IN ('pending', 'canceled', 'expired') AND v.delivery_status IS NULL;
         ELSE
           RAISE EXCEPTION 'unknown send record kind %', rec->>'kind' USING ERRCODE = 'invalid_parameter_value';
       END CASE;
       verification_id := record_id;
       applied := FOUND;
       IF applied THEN
         INSERT INTO sms_deliveries (verification_id, attempt_number, provider, provider_message_id, status,
           error_code, error_message, created_at, updated_at)
         SELECT record_id, position, d->>'provider', d->>'provider_message_id', d->>'status',
                left(d->>'error_code', 64),
                left(d->>'error_message', 512), (d->>'started_at')::timestamptz, (d->>'finished_at')::timestamptz
           FROM jsonb_array_elements(coalesce(rec->'deliveries', '[]')) WITH ORDINALITY AS attempts(d, position)
          ORDER BY position;
         PERFORM sms_auth_audit_json(rec->'events');
       END IF;
       RETURN NEXT;
     END LOOP;
   END
   $$`,

  /*
   * A verify's write, after the caller read the pending code (p_read_id, NULL when there was none) and checked
   * the code against its hash in constant time (p_matched). The pending row is locked here: of N concurrent
   * right answers exactly one approves, the others find nothing pending. STALE: the pending code is no longer
   * the one the caller read (a new send came in between); nothing was written and the caller reads again.
   */
  `CREATE FUNCTION sms_auth_verify_code(p_phone varchar, p_read_id uuid, p_matched boolean,
     p_max_failures integer, p_lock_seconds integer, p_session_id uuid, p_refresh_token_hash varchar,
     p_refresh_ttl_seconds integer, p_ip varchar, p_user_agent varchar,
     OUT result text, OUT db_now timestamptz, OUT locked_until timestamptz, OUT attempts_left integer,
     OUT failures integer, OUT verification_id uuid, OUT provider varchar, OUT user_id uuid,
     OUT user_created_at timestamptz, OUT user_last_login_at timestamptz, OUT is_new_user boolean)
     LANGUAGE plpgsql AS $$
   DECLARE
     pending record;
     latest text;
     attempts integer;
     session_expires_at timestamptz;
   BEGIN
     db_now := now();
     SELECT l.locked_until INTO locked_until
       FROM phone_locks l WHERE l.phone_number = p_phone AND l.locked_until > db_now;
     IF locked_until IS NOT NULL THEN
       result := 'PHONE_LOCKED';
       PERFORM sms_auth_audit('code_verify_failed', 'failure', p_phone, NULL, NULL, NULL, NULL, p_ip, p_user_agent,
         '{"reason":"phone_locked"}');
       RETURN;
     END IF;

     SELECT v.id, v.attempts, v.max_attempts, v.provider, v.expires_at <= db_now AS expired INTO pending
       FROM sms_verifications v WHERE v.phone_number = p_phone AND v.status = 'pending' FOR UPDATE;
     IF NOT FOUND THEN
       IF p_read_id IS NULL THEN
         SELECT v.status INTO latest FROM sms_verifications v
          WHERE v.phone_number = p_phone ORDER BY v.created_at DESC LIMIT 1;
         result := CASE latest WHEN 'max_attempts_reached' THEN 'MAX_ATTEMPTS_REACHED'
                               WHEN 'expired' THEN 'CODE_EXPIRED' ELSE 'NO_ACTIVE_CODE' END;
       ELSE
         -- The code the caller read is no longer pending: used or replaced meanwhile. Its own fate tells which.
         SELECT v.status INTO latest FROM sms_verifications v WHERE v.id = p_read_id;
         result := CASE latest WHEN 'max_attempts_reached' THEN 'MAX_ATTEMPTS_REACHED'
                               WHEN 'expired' THEN 'CODE_EXPIRED' ELSE 'NO_ACTIVE_CODE' END;
       END IF;
       PERFORM sms_auth_audit('code_verify_failed', 'failure', p_phone, NULL, NULL, NULL, NULL, p_ip, p_user_agent,
         jsonb_build_object('reason', lower(result)));
       RETURN;
     END IF;
     IF p_read_id IS DISTINCT FROM pending.id THEN
       result := 'STALE';
       RETURN;
     END IF;

     verification_id := pending.id;
     provider := pending.provider;
     IF pending.expired THEN
       UPDATE sms_verifications v SET status = 'expired', updated_at = db_now WHERE v.id = pending.id;
       result := 'CODE_EXPIRED';
       PERFORM sms_auth_audit('code_verify_failed', 'failure', p_phone, NULL, pending.id, NULL, pending.provider,
         p_ip, p_user_agent, '{"reason":"code_expired"}');
       RETURN;
     END IF;

     IF p_matched THEN
       INSERT INTO users (phone_number, last_login_at) VALUES (p_phone, db_now)
       ON CONFLICT (phone_number) DO UPDATE SET last_login_at = db_now
       RETURNING users.id, users.created_at, users.last_login_at, (users.xmax = 0)
         INTO user_id, user_created_at, user_last_login_at, is_new_user;
       session_expires_at := db_now + make_interval(secs => p_refresh_ttl_seconds);
       INSERT INTO sessions (id, user_id, expires_at, ip, user_agent)
       VALUES (p_session_id, user_id, session_expires_at, left(p_ip, 64), left(p_user_agent, 512));
       INSERT INTO refresh_tokens (session_id, token_hash, expires_at)
       VALUES (p_session_id, p_refresh_token_hash, session_expires_at);
       UPDATE sms_verifications v SET status = 'approved', verified_at = db_now, user_id = sms_auth_verify_code.user_id,
              updated_at = db_now
        WHERE v.id = pending.id;
       PERFORM sms_auth_audit('token_issued', 'success', p_phone, user_id, pending.id, p_session_id, NULL, p_ip,
         p_user_agent, jsonb_build_object('is_new_user', is_new_user));
       PERFORM sms_auth_audit('code_verified', 'success', p_phone, user_id, pending.id, p_session_id,
         pending.provider, p_ip, p_user_agent, '{}');
       result := 'APPROVED';
       RETURN;
     END IF;

     UPDATE sms_verifications v
        SET attempts = v.attempts + 1,
            status = CASE WHEN v.attempts + 1 >= v.max_attempts THEN 'max_attempts_reached' ELSE v.status END,
            updated_at = db_now
      WHERE v.id = pending.id
      RETURNING v.attempts INTO attempts;
     attempts_left := greatest(0, pending.max_attempts - attempts);
     result := CASE WHEN attempts_left > 0 THEN 'CODE_INVALID' ELSE 'MAX_ATTEMPTS_REACHED' END;
     PERFORM sms_auth_audit('code_verify_failed', 'failure', p_phone, NULL, pending.id, NULL, pending.provider,
       p_ip, p_user_agent,
       jsonb_build_object('reason', 'code_invalid', 'attempts', attempts, 'attempts_left', attempts_left));
     IF attempts_left = 0 THEN
       PERFORM sms_auth_audit('max_attempts_reached', 'failure', p_phone, NULL, pending.id, NULL, pending.provider,
         p_ip, p_user_agent, jsonb_build_object('attempts', attempts));
     END IF;

     -- Wrong codes of the last 24 h across every code sent (resending does not reset it), counting only codes
     -- sent after the phone's last lock ended: a served lock wipes the slate.
     SELECT coalesce(sum(v.attempts), 0)::integer INTO failures
       FROM sms_verifications v
      WHERE v.phone_number = p_phone
        AND v.created_at > greatest(db_now - interval '24 hours',
              (SELECT l.locked_until FROM phone_locks l WHERE l.phone_number = p_phone));
     IF failures >= p_max_failures THEN
       INSERT INTO phone_locks (phone_number, locked_until, reason)
       VALUES (p_phone, db_now + make_interval(secs => p_lock_seconds), 'too_many_failures')
       ON CONFLICT (phone_number) DO UPDATE SET locked_until = EXCLUDED.locked_until, reason = EXCLUDED.reason,
         updated_at = db_now
       RETURNING phone_locks.locked_until INTO locked_until;
       result := 'PHONE_LOCKED';
       PERFORM sms_auth_audit('phone_locked', 'failure', p_phone, NULL, pending.id, NULL, pending.provider, p_ip,
         p_user_agent, jsonb_build_object('failures_24h', failures, 'locked_until', sms_auth_iso(locked_until)));
     END IF;
   END
   $$`,

  /* Many verifies in one statement (and one commit), in the order of their phones' lock keys (see above). */
  `CREATE FUNCTION sms_auth_verify_codes(p_requests jsonb, p_max_failures integer, p_lock_seconds integer,
     p_refresh_ttl_seconds integer)
     RETURNS TABLE (request integer, result text, db_now timestamptz, locked_until timestamptz,
       attempts_left integer, failures integer, verification_id uuid, provider varchar, user_id uuid,
       user_created_at timestamptz, user_last_login_at timestamptz, is_new_user boolean) LANGUAGE plpgsql AS $$
   DECLARE
     item record;
   BEGIN
     FOR item IN
       SELECT e.value AS r, e.position::integer AS position
         FROM jsonb_array_elements(p_requests) WITH ORDINALITY AS e(value, position)
        ORDER BY hashtextextended(e.value->>'phone_number', 0), e.position
     LOOP
       RETURN QUERY SELECT item.position, verified.*
         FROM sms_auth_verify_code(item.r->>'phone_number', (item.r->>'read_id')::uuid,
           (item.r->>'matched')::boolean, p_max_failures, p_lock_seconds, (item.r->>'session_id')::uuid,
           item.r->>'refresh_token_hash', p_refresh_ttl_seconds, item.r->>'ip', item.r->>'user_agent') AS verified;
     END LOOP;
   END
   $$`,

  /*
   * Rotates a refresh token (SPEC §7), with the token and session rows locked so concurrent refreshes of one
   * token take turns. A token rotated less than p_grace_seconds ago gets a sibling (a new token of the same
   * session; nothing revoked; its used_at untouched so repeats never stretch the window), at most
   * p_sibling_limit since its rotation; otherwise a rotated token is a reuse: the session is revoked.
   */
  `CREATE FUNCTION sms_auth_refresh(p_token_hash varchar, p_new_token_hash varchar, p_refresh_ttl_seconds integer,
     p_grace_seconds integer, p_sibling_limit integer, p_ip varchar, p_user_agent varchar,
     OUT result text, OUT user_id uuid, OUT phone_number varchar, OUT session_id uuid) LANGUAGE plpgsql AS $$
   DECLARE
     token record;
     in_grace boolean;
     issued_since integer;
   BEGIN
     SELECT rt.id, rt.session_id, rt.used_at, rt.expires_at,
            extract(epoch FROM clock_timestamp() - rt.used_at)::float8 AS used_seconds_ago,
            s.user_id, s.revoked_at, s.expires_at AS session_expires_at, u.phone_number
       INTO token
       FROM refresh_tokens rt
       JOIN sessions s ON s.id = rt.session_id
       JOIN users u ON u.id = s.user_id
      WHERE rt.token_hash = p_token_hash
      FOR UPDATE OF rt, s;
     IF NOT FOUND OR token.revoked_at IS NOT NULL OR token.expires_at <= now()
        OR token.session_expires_at <= now() THEN
       result := 'UNAUTHORIZED';
       RETURN;
     END IF;
     user_id := token.user_id;
     phone_number := token.phone_number;
     session_id := token.session_id;

     IF token.used_at IS NOT NULL THEN
       in_grace := token.used_seconds_ago < p_grace_seconds;
       IF in_grace THEN
         SELECT count(*)::integer INTO issued_since FROM refresh_tokens rt
          WHERE rt.session_id = token.session_id AND rt.created_at >= token.used_at;
       END IF;
       IF in_grace AND issued_since < p_sibling_limit THEN
         UPDATE sessions s SET last_refreshed_at = now() WHERE s.id = token.session_id;
         INSERT INTO refresh_tokens (session_id, token_hash, expires_at)
         VALUES (token.session_id, p_new_token_hash,
           least(now() + make_interval(secs => p_refresh_ttl_seconds), token.session_expires_at));
         PERFORM sms_auth_audit('token_refreshed', 'success', token.phone_number, token.user_id, NULL,
           token.session_id, NULL, p_ip, p_user_agent,
           jsonb_build_object('grace', true, 'token_used_at', sms_auth_iso(token.used_at)));
         result := 'SIBLING';
         RETURN;
       END IF;
       UPDATE sessions s SET revoked_at = now(), revoked_reason = 'refresh_reuse'
        WHERE s.id = token.session_id AND s.revoked_at IS NULL;
       PERFORM sms_auth_audit('refresh_reuse_detected', 'failure', token.phone_number, token.user_id, NULL,
         token.session_id, NULL, p_ip, p_user_agent,
         jsonb_build_object('token_used_at', sms_auth_iso(token.used_at))
           || CASE WHEN in_grace THEN '{"grace_exhausted":true}'::jsonb ELSE '{}'::jsonb END);
       PERFORM sms_auth_audit('session_revoked', 'success', token.phone_number, token.user_id, NULL,
         token.session_id, NULL, p_ip, p_user_agent, '{"reason":"refresh_reuse"}');
       result := 'REUSED';
       RETURN;
     END IF;

     UPDATE refresh_tokens rt SET used_at = now() WHERE rt.id = token.id;
     UPDATE sessions s SET last_refreshed_at = now() WHERE s.id = token.session_id;
     INSERT INTO refresh_tokens (session_id, token_hash, expires_at)
     VALUES (token.session_id, p_new_token_hash,
       least(now() + make_interval(secs => p_refresh_ttl_seconds), token.session_expires_at));
     PERFORM sms_auth_audit('token_refreshed', 'success', token.phone_number, token.user_id, NULL, token.session_id,
       NULL, p_ip, p_user_agent, '{}');
     result := 'ROTATED';
   END
   $$`,
  /*
   * Many refreshes in one statement (and one commit), in the order of their sessions (looked up first,
   * without a lock), so that two statements lock sessions in the same order and never deadlock; two refreshes
   * of one token keep their order (the second is a double submit of the first).
   */
  `CREATE FUNCTION sms_auth_refresh_tokens(p_requests jsonb, p_refresh_ttl_seconds integer, p_grace_seconds integer,
     p_sibling_limit integer)
     RETURNS TABLE (request integer, result text, user_id uuid, phone_number varchar, session_id uuid)
     LANGUAGE plpgsql AS $$
   DECLARE
     item record;
   BEGIN
     FOR item IN
       SELECT e.value AS r, e.position::integer AS position
         FROM jsonb_array_elements(p_requests) WITH ORDINALITY AS e(value, position)
         LEFT JOIN refresh_tokens rt ON rt.token_hash = e.value->>'token_hash'
        ORDER BY rt.session_id NULLS LAST, e.position
     LOOP
       RETURN QUERY SELECT item.position, refreshed.*
         FROM sms_auth_refresh(item.r->>'token_hash', item.r->>'new_token_hash', p_refresh_ttl_seconds,
           p_grace_seconds, p_sibling_limit, item.r->>'ip', item.r->>'user_agent') AS refreshed;
     END LOOP;
   END
   $$`,
];

/** Of a migration's `CREATE FUNCTION` statements, the one creating `name` (for migrations that replace it). */
export function definitionIn(functions: readonly string[], name: string, migration: string): string {
  const [definition, ...others] = functions.filter((sql) => sql.startsWith(`CREATE FUNCTION ${name}(`));
  if (!definition || others.length > 0) throw new Error(`${migration} defines no single function ${name}`);
  return definition;
}

/** The text this migration creates a function with, by its name (for migrations that replace it to restore it). */
export function hotPathFunctionDefinition(name: string): string {
  return definitionIn(FUNCTIONS, name, 'HotPathFunctions');
}

const SIGNATURES = [
  'sms_auth_refresh_tokens(jsonb, integer, integer, integer)',
  'sms_auth_verify_codes(jsonb, integer, integer, integer)',
  'sms_auth_reserve_sends(jsonb, integer, integer, integer, integer, integer)',
  'sms_auth_refresh(varchar, varchar, integer, integer, integer, varchar, varchar)',
  'sms_auth_verify_code(varchar, uuid, boolean, integer, integer, uuid, varchar, integer, varchar, varchar)',
  'sms_auth_record_sends(jsonb)',
  'sms_auth_reserve_send(uuid, varchar, varchar, varchar, integer, varchar, boolean, varchar, varchar, integer, ' +
    'varchar, integer, integer, integer)',
  'sms_auth_send_decision(integer, integer, timestamptz, timestamptz, timestamptz, timestamptz, integer, integer, ' +
    'integer)',
  'sms_auth_audit_json(jsonb)',
  'sms_auth_audit(varchar, varchar, varchar, uuid, uuid, uuid, varchar, varchar, varchar, jsonb)',
  'sms_auth_seconds_until(timestamptz, timestamptz)',
  'sms_auth_iso(timestamptz)',
];

export class HotPathFunctions1795300000000 implements MigrationInterface {
  name = 'HotPathFunctions1795300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of FUNCTIONS) await queryRunner.query(sql);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const signature of SIGNATURES) await queryRunner.query(`DROP FUNCTION ${signature}`);
  }
}
