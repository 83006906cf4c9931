import { WriteBatch } from './write-batch';

describe(WriteBatch.name, () => {
  const runner = () => ({ query: jest.fn().mockResolvedValue([]) });

  it("renumbers each statement's parameters into one statement of CTEs", async () => {
    const sql = runner();
    await new WriteBatch()
      .add(['INSERT INTO a (x, y) VALUES ($1, $2)', [1, 2]])
      .add(['UPDATE b SET z = $1 WHERE id = $2', [3, 4]])
      .execute(sql);
    expect(sql.query).toHaveBeenCalledWith(
      'WITH write_0 AS (INSERT INTO a (x, y) VALUES ($1, $2)),\nwrite_1 AS (UPDATE b SET z = $3 WHERE id = $4)\nSELECT 1',
      [1, 2, 3, 4],
    );
  });

  it('sends a single statement as it is, and nothing for an empty batch', async () => {
    const sql = runner();
    await new WriteBatch().add(['DELETE FROM a WHERE id = $1', [7]]).execute(sql);
    await new WriteBatch().execute(sql);
    expect(sql.query).toHaveBeenCalledTimes(1);
    expect(sql.query).toHaveBeenCalledWith('DELETE FROM a WHERE id = $1', [7]);
  });

  it('renumbers two-digit placeholders', async () => {
    const sql = runner();
    const values = Array.from({ length: 10 }, (_, index) => index);
    await new WriteBatch()
      .add(['SELECT 1', []])
      .add([`INSERT INTO a VALUES (${values.map((_, index) => `$${index + 1}`).join(', ')})`, values])
      .execute(sql);
    expect(sql.query.mock.calls[0][0]).toContain('($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)');
  });

  it('skips null statements (nothing to write)', async () => {
    const sql = runner();
    await new WriteBatch()
      .add(null)
      .add(['DELETE FROM a WHERE id = $1', [7]])
      .add(null)
      .execute(sql);
    expect(sql.query).toHaveBeenCalledWith('DELETE FROM a WHERE id = $1', [7]);
  });
});
