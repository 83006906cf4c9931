import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class IndexAdminQueries1795242379114 implements MigrationInterface {
  name = 'IndexAdminQueries1795242379114';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_sms_verifications_created"`);
    await queryRunner.query(`DROP INDEX "public"."idx_sms_verifications_phone_created"`);
    await queryRunner.query(
      `CREATE INDEX "idx_sms_verifications_provider_created" ON "sms_verifications"  ("provider", "created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_sms_verifications_status_created" ON "sms_verifications"  ("status", "created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_sms_verifications_created" ON "sms_verifications"  ("created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_sms_verifications_phone_created" ON "sms_verifications"  ("phone_number", "created_at", ` +
        `"id") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_sms_verifications_phone_created"`);
    await queryRunner.query(`DROP INDEX "public"."idx_sms_verifications_created"`);
    await queryRunner.query(`DROP INDEX "public"."idx_sms_verifications_status_created"`);
    await queryRunner.query(`DROP INDEX "public"."idx_sms_verifications_provider_created"`);
    await queryRunner.query(
      `CREATE INDEX "idx_sms_verifications_phone_created" ON "sms_verifications" USING btree ("phone_number", ` +
        `"created_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_sms_verifications_created" ON "sms_verifications" USING btree ("created_at") `,
    );
  }
}
