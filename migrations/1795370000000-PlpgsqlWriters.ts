import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { fraudGuardFunctionDefinition } from './1795351000000-FraudGuardFunctions';
import { hotPathFunctionDefinition } from './1795300000000-HotPathFunctions';
import { orReplace } from './1795310000000-PhoneBlocks';

/**
 * The hot paths' SQL-language writers (the audit event of every step, the send record's events, the verified
 * codes' fraud counts) in PL/pgSQL, with the same statements. Postgres parses and plans the statements of a SQL
 * function that it cannot inline (an INSERT never is) at every call; PL/pgSQL keeps their plans for the session.
 * In the bench's profile (pg_stat_statements, track = all) a call of sms_auth_audit took 50–90 µs for an INSERT
 * of 19 µs.
 */
const WRITERS = ['sms_auth_audit', 'sms_auth_audit_json'].map(hotPathFunctionDefinition);
const FRAUD_WRITERS = ['sms_auth_fraud_count_verified'].map(fraudGuardFunctionDefinition);

const SQL_FUNCTION = /^CREATE FUNCTION ([\s\S]+?) LANGUAGE sql AS \$\$([\s\S]+)\$\$$/;

/** A SQL-language `CREATE FUNCTION` as `CREATE OR REPLACE` of a PL/pgSQL function running the same statements. */
function asPlpgsql(definition: string): string {
  const parts = SQL_FUNCTION.exec(definition);
  if (!parts) throw new Error(`not a SQL-language CREATE FUNCTION: ${definition.slice(0, 60)}`);
  const [, head, body] = parts;
  const statements = body.trim().replace(/;?$/, ';');
  return `CREATE OR REPLACE FUNCTION ${head} LANGUAGE plpgsql AS $$
   BEGIN
     ${statements}
   END
   $$`;
}

export class PlpgsqlWriters1795370000000 implements MigrationInterface {
  name = 'PlpgsqlWriters1795370000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const definition of [...WRITERS, ...FRAUD_WRITERS]) await queryRunner.query(asPlpgsql(definition));
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const definition of [...WRITERS, ...FRAUD_WRITERS]) await queryRunner.query(orReplace(definition));
  }
}
