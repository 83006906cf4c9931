import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class InitialSchema1795240056819 implements MigrationInterface {
  name = 'InitialSchema1795240056819';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "audit_events" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, ` +
        `"occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "type" character varying(48) NOT NULL, ` +
        `"outcome" character varying(16) NOT NULL, "phone_number" character varying(16), "user_id" uuid, ` +
        `"verification_id" uuid, "session_id" uuid, "provider" character varying(32), "ip" character varying(64), ` +
        `"user_agent" character varying(512), "details" jsonb NOT NULL, ` +
        `CONSTRAINT "PK_910f64d901a5c3e9878f0d4a407" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_audit_events_user_id_id" ON "audit_events"  ("user_id", "id") `);
    await queryRunner.query(`CREATE INDEX "idx_audit_events_phone_id" ON "audit_events"  ("phone_number", "id") `);
    await queryRunner.query(`CREATE INDEX "idx_audit_events_type_id" ON "audit_events"  ("type", "id") `);
    await queryRunner.query(`CREATE INDEX "idx_audit_events_occurred_at" ON "audit_events"  ("occurred_at") `);
    await queryRunner.query(
      `CREATE TABLE "users" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "phone_number" character varying(16) ` +
        `NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), ` +
        `"last_login_at" TIMESTAMP WITH TIME ZONE, ` +
        `CONSTRAINT "UQ_17d1817f241f10a3dbafb169fd2" UNIQUE ("phone_number"), ` +
        `CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "sessions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, ` +
        `"created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), ` +
        `"expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_refreshed_at" TIMESTAMP WITH TIME ZONE, ` +
        `"revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_reason" character varying(32), "ip" character varying(64), ` +
        `"user_agent" character varying(512), CONSTRAINT "PK_3238ef96f18b355b671619111bc" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_sessions_user_id" ON "sessions"  ("user_id") `);
    await queryRunner.query(
      `CREATE TABLE "refresh_tokens" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "session_id" uuid NOT NULL, ` +
        `"token_hash" character(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), ` +
        `"expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, ` +
        `CONSTRAINT "PK_7d8bee0204106019488c4c50ffa" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_refresh_tokens_session_id" ON "refresh_tokens"  ("session_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_refresh_tokens_token_hash" ON "refresh_tokens"  ("token_hash") `);
    await queryRunner.query(
      `CREATE TABLE "sms_verifications" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), ` +
        `"phone_number" character varying(16) NOT NULL, "country" character varying(2), "code_hash" character(64) ` +
        `NOT NULL, "status" character varying(32) NOT NULL DEFAULT 'pending', ` +
        `"attempts" integer NOT NULL DEFAULT '0', "max_attempts" integer NOT NULL, "locale" character varying(8) ` +
        `NOT NULL, "provider" character varying(32), "request_id" character varying(128), ` +
        `"delivery_status" character varying(16), "is_test_number" boolean NOT NULL DEFAULT false, ` +
        `"ip" character varying(64), "user_agent" character varying(512), ` +
        `"expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, ` +
        `"created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), ` +
        `"updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "verified_at" TIMESTAMP WITH TIME ZONE, ` +
        `"user_id" uuid, CONSTRAINT "PK_b791c2dc91b2f3d3608b3acb29f" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_sms_verifications_created" ON "sms_verifications"  ("created_at") `);
    await queryRunner.query(
      `CREATE INDEX "idx_sms_verifications_phone_created" ON "sms_verifications"  ("phone_number", "created_at") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_sms_verifications_one_pending_per_phone" ON "sms_verifications"  ("phone_number") ` +
        `WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `CREATE TABLE "sms_deliveries" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), ` +
        `"verification_id" uuid NOT NULL, "attempt_number" smallint NOT NULL, "provider" character varying(32) ` +
        `NOT NULL, "provider_message_id" character varying(128), "status" character varying(16) NOT NULL, ` +
        `"error_code" character varying(64), "error_message" character varying(512), ` +
        `"created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), ` +
        `"updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), ` +
        `CONSTRAINT "PK_45d66ee3cbf28a199ff1676bcad" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_sms_deliveries_verification_id" ON "sms_deliveries"  ("verification_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "phone_locks" ("phone_number" character varying(16) NOT NULL, ` +
        `"locked_until" TIMESTAMP WITH TIME ZONE NOT NULL, "reason" character varying(64) NOT NULL, ` +
        `"created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), ` +
        `"updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), ` +
        `CONSTRAINT "PK_d953eaa71d560d7efc48adf1683" PRIMARY KEY ("phone_number"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "sessions" ADD CONSTRAINT "FK_085d540d9f418cfbdc7bd55bb19" FOREIGN KEY ("user_id") ` +
        `REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "refresh_tokens" ADD CONSTRAINT "FK_3bf308fa93da3966f9e76fcfba4" FOREIGN KEY ("session_id") ` +
        `REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "sms_deliveries" ADD CONSTRAINT "FK_f4eef91e3d8560336f68e64b847" FOREIGN KEY ("verification_id") ` +
        `REFERENCES "sms_verifications"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sms_deliveries" DROP CONSTRAINT "FK_f4eef91e3d8560336f68e64b847"`);
    await queryRunner.query(`ALTER TABLE "refresh_tokens" DROP CONSTRAINT "FK_3bf308fa93da3966f9e76fcfba4"`);
    await queryRunner.query(`ALTER TABLE "sessions" DROP CONSTRAINT "FK_085d540d9f418cfbdc7bd55bb19"`);
    await queryRunner.query(`DROP TABLE "phone_locks"`);
    await queryRunner.query(`DROP INDEX "public"."idx_sms_deliveries_verification_id"`);
    await queryRunner.query(`DROP TABLE "sms_deliveries"`);
    await queryRunner.query(`DROP INDEX "public"."uq_sms_verifications_one_pending_per_phone"`);
    await queryRunner.query(`DROP INDEX "public"."idx_sms_verifications_phone_created"`);
    await queryRunner.query(`DROP INDEX "public"."idx_sms_verifications_created"`);
    await queryRunner.query(`DROP TABLE "sms_verifications"`);
    await queryRunner.query(`DROP INDEX "public"."uq_refresh_tokens_token_hash"`);
    await queryRunner.query(`DROP INDEX "public"."idx_refresh_tokens_session_id"`);
    await queryRunner.query(`DROP TABLE "refresh_tokens"`);
    await queryRunner.query(`DROP INDEX "public"."idx_sessions_user_id"`);
    await queryRunner.query(`DROP TABLE "sessions"`);
    await queryRunner.query(`DROP TABLE "users"`);
    await queryRunner.query(`DROP INDEX "public"."idx_audit_events_occurred_at"`);
    await queryRunner.query(`DROP INDEX "public"."idx_audit_events_type_id"`);
    await queryRunner.query(`DROP INDEX "public"."idx_audit_events_phone_id"`);
    await queryRunner.query(`DROP INDEX "public"."idx_audit_events_user_id_id"`);
    await queryRunner.query(`DROP TABLE "audit_events"`);
  }
}
