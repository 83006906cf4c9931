import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { fraudGuardFunctionDefinition } from './1795351000000-FraudGuardFunctions';
import { orReplace } from './1795310000000-PhoneBlocks';

/**
 * The fraud verdict's helpers as SQL that Postgres inlines into the verdict's statements (planned with them, once
 * per session) instead of calling them. Per send, the two calls of sms_auth_fraud_window cost about 20 µs each
 * beyond their queries, and the six of sms_auth_fraud_rule 3 µs each:
 * - sms_auth_fraud_window becomes one SELECT returning its row as a table (Postgres inlines a SQL function in
 *   FROM only when it returns a set), with the same figures;
 * - sms_auth_fraud_rule is declared STABLE, which it is: jsonb_build_object is STABLE, and an IMMUTABLE function
 *   whose body is not is never inlined.
 */
const WINDOW = `CREATE FUNCTION sms_auth_fraud_window(p_scope varchar, p_key varchar, p_now timestamptz)
     RETURNS TABLE (unverified_day integer, unverified_hour float8, verified_day integer, verified_hour float8,
       spent_today numeric) LANGUAGE sql STABLE AS $$
     SELECT sent.day - verified.day,
            (sent.current - verified.current) + (sent.previous - verified.previous) * clock.carried,
            verified.day,
            verified.current + verified.previous * clock.carried,
            sent.today
       FROM (SELECT date_trunc('hour', p_now, 'UTC') AS hour_start,
                    1 - extract(epoch FROM p_now - date_trunc('hour', p_now, 'UTC'))::float8 / 3600 AS carried)
              AS clock
      CROSS JOIN LATERAL (
        SELECT coalesce(sum(s.sent), 0)::integer AS day,
               coalesce(sum(s.sent) FILTER (WHERE s.bucket = clock.hour_start), 0)::integer AS current,
               coalesce(sum(s.sent) FILTER (WHERE s.bucket = clock.hour_start - interval '1 hour'), 0)::integer
                 AS previous,
               coalesce(sum(s.cost) FILTER (WHERE s.bucket >= date_trunc('day', p_now, 'UTC')), 0) AS today
          FROM fraud_sent_counts s
         WHERE s.scope = p_scope AND s.key = p_key AND s.bucket > clock.hour_start - interval '24 hours') AS sent
      CROSS JOIN LATERAL (
        SELECT coalesce(sum(v.verified), 0)::integer AS day,
               coalesce(sum(v.verified) FILTER (WHERE v.bucket = clock.hour_start), 0)::integer AS current,
               coalesce(sum(v.verified) FILTER (WHERE v.bucket = clock.hour_start - interval '1 hour'), 0)::integer
                 AS previous
          FROM fraud_verified_counts v
         WHERE v.scope = p_scope AND v.key = p_key AND v.bucket > clock.hour_start - interval '24 hours') AS verified
   $$`;

const WINDOW_SIGNATURE = 'sms_auth_fraud_window(varchar, varchar, timestamptz)';
const IMMUTABLE_RULE = fraudGuardFunctionDefinition('sms_auth_fraud_rule');

function stableRule(): string {
  if (!IMMUTABLE_RULE.includes('LANGUAGE sql IMMUTABLE AS'))
    throw new Error('sms_auth_fraud_rule is not as FraudGuardFunctions wrote it');
  return orReplace(IMMUTABLE_RULE.replace('LANGUAGE sql IMMUTABLE AS', 'LANGUAGE sql STABLE AS'));
}

export class FraudGuardInlined1795372000000 implements MigrationInterface {
  name = 'FraudGuardInlined1795372000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(stableRule());
    // Its result type changes: replaced, not altered (the verdict names it at run time only).
    await queryRunner.query(`DROP FUNCTION ${WINDOW_SIGNATURE}`);
    await queryRunner.query(WINDOW);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION ${WINDOW_SIGNATURE}`);
    await queryRunner.query(fraudGuardFunctionDefinition('sms_auth_fraud_window'));
    await queryRunner.query(orReplace(IMMUTABLE_RULE));
  }
}
