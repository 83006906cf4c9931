import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { hotPathFunctionDefinition } from './1795300000000-HotPathFunctions';
import { orReplace, replacedOnce } from './1795310000000-PhoneBlocks';

/**
 * A refresh batch finds each token's session through the token_hash index. The lookup compared the char(64)
 * column with the JSON's text, which casts the column, and no index serves that: every batch read the whole of
 * refresh_tokens (a table that only grows with the users), trimming each hash on the way. The hash is cast
 * instead, and looked up once per element.
 */
const JOINED = `LEFT JOIN refresh_tokens rt ON rt.token_hash = e.value->>'token_hash'`;
// LIMIT keeps the subquery from being flattened into a join the planner may hash over the whole table.
const LOOKED_UP = `LEFT JOIN LATERAL (SELECT t.session_id FROM refresh_tokens t
                     WHERE t.token_hash = (e.value->>'token_hash')::bpchar LIMIT 1) rt ON true`;

const REFRESH_TOKENS = hotPathFunctionDefinition('sms_auth_refresh_tokens');

export class RefreshBatchByIndex1795371000000 implements MigrationInterface {
  name = 'RefreshBatchByIndex1795371000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(orReplace(replacedOnce(REFRESH_TOKENS, JOINED, LOOKED_UP)));
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(orReplace(REFRESH_TOKENS));
  }
}
