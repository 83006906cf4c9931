import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class TrackSmsDeliveryStatus1795241726949 implements MigrationInterface {
  name = 'TrackSmsDeliveryStatus1795241726949';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sms_deliveries" ADD "provider_status" character varying(32)`);
    await queryRunner.query(`ALTER TABLE "sms_deliveries" ADD "status_checked_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "sms_deliveries" ADD "status_checks" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(
      `CREATE INDEX "idx_sms_deliveries_awaiting_status" ON "sms_deliveries"  ("status_checked_at") ` +
        `WHERE status IN ('queued', 'sent', 'unknown')`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_sms_deliveries_provider_message" ON "sms_deliveries"  ("provider", ` +
        `"provider_message_id") WHERE provider_message_id IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."uq_sms_deliveries_provider_message"`);
    await queryRunner.query(`DROP INDEX "public"."idx_sms_deliveries_awaiting_status"`);
    await queryRunner.query(`ALTER TABLE "sms_deliveries" DROP COLUMN "status_checks"`);
    await queryRunner.query(`ALTER TABLE "sms_deliveries" DROP COLUMN "status_checked_at"`);
    await queryRunner.query(`ALTER TABLE "sms_deliveries" DROP COLUMN "provider_status"`);
  }
}
