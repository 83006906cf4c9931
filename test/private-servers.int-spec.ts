import { canQuery, startPrivatePostgres, startPrivateRedis } from './support/private-servers';

/** The migrated schema answers at `url`. */
const canQuerySchema = (url: string) => canQuery(url, 'SELECT 1 FROM sms_verifications LIMIT 1');

describe('private servers for outage tests', () => {
  it('a private Postgres is migrated, stops and starts again (for the app too, through its pooler if any)', async () => {
    const pg = await startPrivatePostgres();
    try {
      expect(await canQuerySchema(pg.url)).toBe(true);
      expect(await canQuerySchema(pg.appUrl)).toBe(true);
      await pg.stop();
      expect(await canQuerySchema(pg.url)).toBe(false);
      expect(await canQuerySchema(pg.appUrl)).toBe(false);
      await pg.start();
      expect(await canQuerySchema(pg.url)).toBe(true);
      expect(await canQuerySchema(pg.appUrl)).toBe(true);
    } finally {
      await pg.destroy();
    }
  });

  it('a private Redis stops and starts again', async () => {
    const redis = await startPrivateRedis();
    const { default: Redis } = await import('ioredis');
    const ping = async () => {
      const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return await client.ping();
      } catch {
        return 'down';
      } finally {
        client.disconnect();
      }
    };
    expect(await ping()).toBe('PONG');
    await redis.stop();
    expect(await ping()).toBe('down');
    await redis.start();
    expect(await ping()).toBe('PONG');
    await redis.stop();
  });
});
