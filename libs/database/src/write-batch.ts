/** Anything that runs SQL: a DataSource, an EntityManager, a query runner. */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/** A statement with its own `$1…` parameters. */
export type SqlStatement = [sql: string, values: unknown[]];

/**
 * Several writes sent as ONE statement (each a data-modifying CTE), so they cost one round trip and
 * commit or fail together even outside a transaction. Postgres runs the CTEs in no guaranteed order:
 * only batch writes that do not depend on each other's effects.
 */
export class WriteBatch {
  private readonly statements: string[] = [];
  private readonly params: unknown[] = [];

  /** `null` stands for "nothing to write" (e.g. no audit events), so callers need no conditionals. */
  add(statement: SqlStatement | null): this {
    if (!statement) return this;
    const [sql, values] = statement;
    const offset = this.params.length;
    this.statements.push(sql.replace(/\$(\d+)/g, (_, index: string) => `$${Number(index) + offset}`));
    this.params.push(...values);
    return this;
  }

  async execute(runner: SqlRunner): Promise<void> {
    if (this.statements.length === 0) return;
    if (this.statements.length === 1) {
      await runner.query(this.statements[0], this.params);
      return;
    }
    const ctes = this.statements.map((sql, index) => `write_${index} AS (${sql})`).join(',\n');
    await runner.query(`WITH ${ctes}\nSELECT 1`, this.params);
  }
}
