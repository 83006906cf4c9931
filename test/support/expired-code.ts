/** Anything that runs a query: a Pool, a Client. */
interface Queryable {
  query<Row>(text: string, values: unknown[]): Promise<{ rows: Row[] }>;
}

/** An expired code created `createdDaysAgo` days ago, with its delivery row (past retention, or not). */
export async function insertExpiredCode(sql: Queryable, phone: string, createdDaysAgo: number): Promise<string> {
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO sms_verifications (phone_number, country, code_hash, status, max_attempts, locale, expires_at,
       created_at)
     VALUES ($1, 'KZ', repeat('0', 64), 'expired', 5, 'ru', now() - make_interval(days => $2) + interval '5 minutes',
       now() - make_interval(days => $2))
     RETURNING id`,
    [phone, createdDaysAgo],
  );
  await sql.query(
    `INSERT INTO sms_deliveries (verification_id, attempt_number, provider, status) VALUES ($1, 1, 'console', 'sent')`,
    [rows[0].id],
  );
  return rows[0].id;
}
