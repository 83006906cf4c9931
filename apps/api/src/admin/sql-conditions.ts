/** The WHERE clause and positional parameters of a filtered admin query, built condition by condition. */
export class SqlConditions {
  readonly params: unknown[] = [];
  private readonly conditions: string[] = [];

  /** `condition` receives the placeholder of `values[0]` ($n), then of each further value. */
  add(condition: (...placeholders: string[]) => string, ...values: unknown[]): this {
    const placeholders = values.map((value) => {
      this.params.push(value);
      return `$${this.params.length}`;
    });
    this.conditions.push(condition(...placeholders));
    return this;
  }

  /** `WHERE a AND b`, or nothing when no condition was added. */
  where(): string {
    return this.conditions.length ? `WHERE ${this.conditions.join(' AND ')}` : '';
  }

  /** A placeholder for one more parameter (e.g. the LIMIT). */
  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
}
