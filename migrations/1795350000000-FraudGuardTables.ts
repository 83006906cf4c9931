import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The fraud guard's tables (SPEC §10; its functions are in FraudGuardFunctions): a verdict on every send that
 * passed the phone's own checks, inside the send's reservation statement, from counters the writes keep (never a
 * scan of history):
 *
 * - fraud_subjects: one row per IP, country and prefix. A send batch locks the rows of all its subjects first,
 *   in key order, so sends sharing a subject take turns (the counts a verdict reads are exact under concurrency)
 *   and two batches never deadlock. The row holds what is not a sum: an IP's destination countries, a prefix's
 *   sequence of sends, its latest send times (rule 4) and its breaker (rule 5).
 * - fraud_sent_counts: counted sends and their estimated cost per subject and UTC hour; written only by holders
 *   of the subject's lock.
 * - fraud_verified_counts: verified codes per IP and country, by the hour their code was sent (and per country
 *   by UTC day, for the 14-day baseline), written by verifies; apart from the sent counts so that a verify never
 *   waits for a send's locks.
 * - fraud_conversions: which of a prefix's sends (by sequence number) were verified, for the breaker's window.
 * - fraud_decisions: every verdict, allowed or blocked, with each rule's figures.
 *
 * A send counts when it goes out as allowed; in `record` mode a send the guard would block goes out uncounted,
 * so that the counters, and with them the decisions, are those `enforce` would have.
 */
const TABLES = [
  `CREATE TABLE "fraud_subjects" (
    "scope" character varying(8) NOT NULL,
    "key" character varying(64) NOT NULL,
    "sends" bigint NOT NULL DEFAULT 0,
    "countries" jsonb NOT NULL DEFAULT '{}',
    "recent" TIMESTAMP WITH TIME ZONE[] NOT NULL DEFAULT '{}',
    "window_start" bigint NOT NULL DEFAULT 0,
    "blocked_until" TIMESTAMP WITH TIME ZONE,
    "blocked_at" TIMESTAMP WITH TIME ZONE,
    "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
    CONSTRAINT "PK_fraud_subjects" PRIMARY KEY ("scope", "key"))`,
  `CREATE INDEX "idx_fraud_subjects_blocked_until" ON "fraud_subjects" ("blocked_until")
    WHERE "blocked_until" IS NOT NULL`,
  `CREATE TABLE "fraud_sent_counts" (
    "scope" character varying(8) NOT NULL,
    "key" character varying(64) NOT NULL,
    "bucket" TIMESTAMP WITH TIME ZONE NOT NULL,
    "sent" integer NOT NULL DEFAULT 0,
    "cost" numeric(18,6) NOT NULL DEFAULT 0,
    CONSTRAINT "PK_fraud_sent_counts" PRIMARY KEY ("scope", "key", "bucket"))`,
  `CREATE TABLE "fraud_verified_counts" (
    "scope" character varying(12) NOT NULL,
    "key" character varying(64) NOT NULL,
    "bucket" TIMESTAMP WITH TIME ZONE NOT NULL,
    "verified" integer NOT NULL DEFAULT 0,
    CONSTRAINT "PK_fraud_verified_counts" PRIMARY KEY ("scope", "key", "bucket"))`,
  `CREATE TABLE "fraud_conversions" (
    "prefix" character varying(16) NOT NULL,
    "seq" bigint NOT NULL,
    CONSTRAINT "PK_fraud_conversions" PRIMARY KEY ("prefix", "seq"))`,
  `CREATE TABLE "fraud_decisions" (
    "id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
    "verification_id" uuid,
    "phone_number" character varying(16) NOT NULL,
    "ip" character varying(64),
    "country" character varying(2),
    "prefix" character varying(16) NOT NULL,
    "mode" character varying(8) NOT NULL,
    "action" character varying(8) NOT NULL,
    "rule" character varying(24),
    "bypass" character varying(16),
    "retry_after" integer,
    "estimated_cost" numeric(18,6),
    "rules" jsonb NOT NULL DEFAULT '[]',
    CONSTRAINT "PK_fraud_decisions" PRIMARY KEY ("id"))`,
  `CREATE INDEX "idx_fraud_decisions_created_at_id" ON "fraud_decisions" ("created_at", "id")`,
  // Blocked decisions are few and what operators look at first.
  `CREATE INDEX "idx_fraud_decisions_blocked" ON "fraud_decisions" ("created_at", "id") WHERE "action" = 'blocked'`,
  // The code's place in its prefix's sequence of counted sends; NULL: the guard did not count it.
  `ALTER TABLE "sms_verifications" ADD "fraud_seq" bigint`,
];

const DROP_TABLES = [
  `ALTER TABLE "sms_verifications" DROP COLUMN "fraud_seq"`,
  'DROP TABLE "fraud_decisions"',
  'DROP TABLE "fraud_conversions"',
  'DROP TABLE "fraud_verified_counts"',
  'DROP TABLE "fraud_sent_counts"',
  'DROP TABLE "fraud_subjects"',
];

export class FraudGuardTables1795350000000 implements MigrationInterface {
  name = 'FraudGuardTables1795350000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of TABLES) await queryRunner.query(sql);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const sql of DROP_TABLES) await queryRunner.query(sql);
  }
}
