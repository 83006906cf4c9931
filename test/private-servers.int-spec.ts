import { Client } from 'pg';
import { startPrivatePostgres, startPrivateRedis } from './support/private-servers';

async function canQuery(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1 FROM sms_verifications LIMIT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('private servers for outage tests', () => {
  it('a private Postgres is migrated, stops and starts again (for the app too, through its pooler if any)', async () => {
    const pg = await startPrivatePostgres();
    try {
      expect(await canQuery(pg.url)).toBe(true);
      expect(await canQuery(pg.appUrl)).toBe(true);
      await pg.stop();
      expect(await canQuery(pg.url)).toBe(false);
      expect(await canQuery(pg.appUrl)).toBe(false);
      await pg.start();
      expect(await canQuery(pg.url)).toBe(true);
      expect(await canQuery(pg.appUrl)).toBe(true);
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
