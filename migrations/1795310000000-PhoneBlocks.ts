import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { hotPathFunctionDefinition } from './1795300000000-HotPathFunctions';

/**
 * Phones an operator blocked (SPEC §7): send-code, resend-code and verify-code answer PHONE_BLOCKED. The check
 * is the first thing the hot-path functions do (after the phone's advisory lock for a send, which the block
 * takes too: a send reserved before the block commits is canceled by it, none is reserved after), so that each
 * step stays one statement. The two functions keep their signatures: the batch wrappers call them unchanged.
 */
const CREATE_TABLE = `CREATE TABLE "phone_blocks" (
  "phone_number" character varying(16) NOT NULL,
  "blocked_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
  "note" text,
  CONSTRAINT "PK_phone_blocks" PRIMARY KEY ("phone_number"))`;

const SEND_CHECK = `
     IF EXISTS (SELECT 1 FROM phone_blocks b WHERE b.phone_number = p_phone) THEN
       result := 'PHONE_BLOCKED';
       PERFORM sms_auth_audit('code_send_failed', 'failure', p_phone, NULL, NULL, NULL, NULL, p_ip, p_user_agent,
         jsonb_build_object('action', p_action, 'reason', 'phone_blocked'));
       RETURN;
     END IF;`;

const VERIFY_CHECK = `
     IF EXISTS (SELECT 1 FROM phone_blocks b WHERE b.phone_number = p_phone) THEN
       result := 'PHONE_BLOCKED';
       PERFORM sms_auth_audit('code_verify_failed', 'failure', p_phone, NULL, NULL, NULL, NULL, p_ip, p_user_agent,
         '{"reason":"phone_blocked"}');
       RETURN;
     END IF;`;

/** `definition` with `CREATE OR REPLACE` and `check` inserted right after `anchor` (which must occur once). */
function withCheck(definition: string, anchor: string, check: string): string {
  const at = definition.indexOf(anchor);
  if (at < 0 || definition.indexOf(anchor, at + 1) >= 0) throw new Error(`anchor ${anchor} is not unique`);
  const end = at + anchor.length;
  return orReplace(definition.slice(0, end) + check + definition.slice(end));
}

export function orReplace(definition: string): string {
  if (!definition.startsWith('CREATE FUNCTION ')) throw new Error('not a CREATE FUNCTION statement');
  return definition.replace(/^CREATE FUNCTION /, 'CREATE OR REPLACE FUNCTION ');
}

const RESERVE_SEND = hotPathFunctionDefinition('sms_auth_reserve_send');
const VERIFY_CODE = hotPathFunctionDefinition('sms_auth_verify_code');

/** `definition` with `from` (which must occur once) replaced by `to`. */
export function replacedOnce(definition: string, from: string, to: string): string {
  const at = definition.indexOf(from);
  if (at < 0 || definition.indexOf(from, at + 1) >= 0) throw new Error(`${from} is not unique`);
  return definition.slice(0, at) + to + definition.slice(at + from.length);
}

/*
 * The send's clock is read under the phone's lock, and the new code's created_at is that reading: with now()
 * (the transaction's start), a send whose transaction began before another send of the phone but got the lock
 * after it saw that send in its future, and with RESEND_COOLDOWN_SECONDS=0 was refused RESEND_TOO_SOON.
 */
const RESERVE_SEND_CLOCK_UNDER_LOCK = replacedOnce(
  replacedOnce(
    RESERVE_SEND,
    `db_now := now();
     PERFORM pg_advisory_xact_lock(hashtextextended(p_phone, 0));`,
    `PERFORM pg_advisory_xact_lock(hashtextextended(p_phone, 0));
     db_now := clock_timestamp();`,
  ),
  `is_test_number, ip, user_agent, expires_at)
     VALUES (p_id, p_phone, p_country, p_code_hash, 'pending', 0, p_max_attempts, p_locale, p_is_test_number,
       left(p_ip, 64), left(p_user_agent, 512), db_now + make_interval(secs => p_ttl_seconds));`,
  `is_test_number, ip, user_agent, expires_at, created_at)
     VALUES (p_id, p_phone, p_country, p_code_hash, 'pending', 0, p_max_attempts, p_locale, p_is_test_number,
       left(p_ip, 64), left(p_user_agent, 512), db_now + make_interval(secs => p_ttl_seconds), db_now);`,
);

/** sms_auth_reserve_send of HotPathFunctions, refusing a blocked phone right after taking its advisory lock. */
export const RESERVE_SEND_WITH_BLOCKS = withCheck(
  RESERVE_SEND_CLOCK_UNDER_LOCK,
  'PERFORM pg_advisory_xact_lock(hashtextextended(p_phone, 0));',
  SEND_CHECK,
);

/** sms_auth_verify_code of HotPathFunctions, refusing a blocked phone before anything else. */
export const VERIFY_CODE_WITH_BLOCKS = withCheck(VERIFY_CODE, 'db_now := now();', VERIFY_CHECK);

export class PhoneBlocks1795310000000 implements MigrationInterface {
  name = 'PhoneBlocks1795310000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(CREATE_TABLE);
    await queryRunner.query(RESERVE_SEND_WITH_BLOCKS);
    await queryRunner.query(VERIFY_CODE_WITH_BLOCKS);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(orReplace(VERIFY_CODE));
    await queryRunner.query(orReplace(RESERVE_SEND));
    await queryRunner.query('DROP TABLE "phone_blocks"');
  }
}
