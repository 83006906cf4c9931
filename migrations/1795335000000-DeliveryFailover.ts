import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Delivery-driven failover (SPEC §9): a code already sent is sent again, the same code, through the next link
 * of its chain. sms_auth_record_sends applies once per code (its first send), so the later attempts have their
 * own function: under the code's row lock it appends the attempts after the last one (attempt_number goes on),
 * points the code at the link that accepted it (provider, request_id, delivery_status), and writes the audit
 * events, in one transaction. It records what happened whatever the code's state: the message went out.
 *
 * pg-boss's tables (schema `pgboss`) are not made here: pg-boss creates and migrates its own schema at start.
 */
const RECORD_FAILOVER = `CREATE FUNCTION sms_auth_record_failover(p_record jsonb) RETURNS boolean
  LANGUAGE plpgsql AS $$
  DECLARE
    record_id uuid := (p_record->>'verification_id')::uuid;
    last_attempt integer;
  BEGIN
    PERFORM 1 FROM sms_verifications v WHERE v.id = record_id FOR UPDATE;
    IF NOT FOUND THEN RETURN false; END IF;
    SELECT coalesce(max(d.attempt_number), 0) INTO last_attempt
      FROM sms_deliveries d WHERE d.verification_id = record_id;
    INSERT INTO sms_deliveries (verification_id, attempt_number, provider, provider_message_id, status,
      error_code, error_message, created_at, updated_at, channel, cost, cost_currency)
    SELECT record_id, last_attempt + position, d->>'provider', d->>'provider_message_id', d->>'status',
           left(d->>'error_code', 64), left(d->>'error_message', 512), (d->>'started_at')::timestamptz,
           (d->>'finished_at')::timestamptz, coalesce(d->>'channel', 'sms'), (d->>'cost')::numeric, d->>'cost_currency'
      FROM jsonb_array_elements(coalesce(p_record->'deliveries', '[]')) WITH ORDINALITY AS attempts(d, position)
     ORDER BY position;
    IF p_record->'accepted' IS NOT NULL AND jsonb_typeof(p_record->'accepted') = 'object' THEN
      UPDATE sms_verifications v
         SET provider = p_record->'accepted'->>'provider', request_id = p_record->'accepted'->>'message_id',
             delivery_status = p_record->'accepted'->>'delivery_status', updated_at = now()
       WHERE v.id = record_id;
    END IF;
    PERFORM sms_auth_audit_json(p_record->'events');
    RETURN true;
  END
  $$`;

export class DeliveryFailover1795335000000 implements MigrationInterface {
  name = 'DeliveryFailover1795335000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(RECORD_FAILOVER);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP FUNCTION sms_auth_record_failover(jsonb)');
  }
}
