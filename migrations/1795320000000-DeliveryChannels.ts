import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { hotPathFunctionDefinition } from './1795300000000-HotPathFunctions';

/**
 * Channels (SPEC §9): each delivery attempt records the channel that carried it (`sms`, `telegram`,
 * `whatsapp`; every earlier row was an SMS) and what it cost when the vendor stated it. sms_auth_record_sends
 * writes both from the attempt's JSON.
 */
const RECORD_SENDS = hotPathFunctionDefinition('sms_auth_record_sends');

// The deliveries INSERT of sms_auth_record_sends, line by line as HotPathFunctions wrote it.
const INSERT_COLUMNS = [
  'INSERT INTO sms_deliveries (verification_id, attempt_number, provider, provider_message_id, status,',
  '           error_code, error_message, created_at, updated_at)',
  "         SELECT record_id, position, d->>'provider', d->>'provider_message_id', d->>'status',",
  "                left(d->>'error_code', 64),",
  "                left(d->>'error_message', 512), (d->>'started_at')::timestamptz, (d->>'finished_at')::timestamptz",
].join('\n');

const INSERT_COLUMNS_WITH_CHANNEL = [
  'INSERT INTO sms_deliveries (verification_id, attempt_number, provider, provider_message_id, status,',
  '           error_code, error_message, created_at, updated_at, channel, cost, cost_currency)',
  "         SELECT record_id, position, d->>'provider', d->>'provider_message_id', d->>'status',",
  "                left(d->>'error_code', 64),",
  "                left(d->>'error_message', 512), (d->>'started_at')::timestamptz, (d->>'finished_at')::timestamptz,",
  "                coalesce(d->>'channel', 'sms'), (d->>'cost')::numeric, d->>'cost_currency'",
].join('\n');

function orReplace(definition: string): string {
  if (!definition.startsWith('CREATE FUNCTION ')) throw new Error('not a CREATE FUNCTION statement');
  return definition.replace(/^CREATE FUNCTION /, 'CREATE OR REPLACE FUNCTION ');
}

function withChannel(definition: string): string {
  const at = definition.indexOf(INSERT_COLUMNS);
  if (at < 0 || definition.indexOf(INSERT_COLUMNS, at + 1) >= 0) throw new Error('the deliveries INSERT is not unique');
  return orReplace(
    definition.slice(0, at) + INSERT_COLUMNS_WITH_CHANNEL + definition.slice(at + INSERT_COLUMNS.length),
  );
}

export class DeliveryChannels1795320000000 implements MigrationInterface {
  name = 'DeliveryChannels1795320000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sms_deliveries" ADD "channel" character varying(16) NOT NULL DEFAULT 'sms'`);
    await queryRunner.query(`ALTER TABLE "sms_deliveries" ADD "cost" numeric(12,6)`);
    await queryRunner.query(`ALTER TABLE "sms_deliveries" ADD "cost_currency" character varying(3)`);
    await queryRunner.query(withChannel(RECORD_SENDS));
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(orReplace(RECORD_SENDS));
    await queryRunner.query(`ALTER TABLE "sms_deliveries" DROP COLUMN "cost_currency"`);
    await queryRunner.query(`ALTER TABLE "sms_deliveries" DROP COLUMN "cost"`);
    await queryRunner.query(`ALTER TABLE "sms_deliveries" DROP COLUMN "channel"`);
  }
}
