import { createServer } from 'node:net';
import { checkDatabaseConnection, DatabaseUnreachableError } from './database-connection-check';

/** A port on loopback that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function failureOf(url: string): Promise<Error> {
  return checkDatabaseConnection(url, 2000).then(
    () => new Error('expected the check to fail'),
    (error: Error) => error,
  );
}

describe(checkDatabaseConnection.name, () => {
  it('names the address and the failure in one line, with the password masked in both of its forms', async () => {
    const port = await closedPort();
    const error = await failureOf(`postgres://app:s3cr%40t@127.0.0.1:${port}/db`);
    expect(error).toBeInstanceOf(DatabaseUnreachableError);
    expect(error.message).toContain(`127.0.0.1:${port} (DATABASE_URL)`);
    expect(error.message).not.toMatch(/s3cr%40t|s3cr@t/);
    expect(error.message).not.toContain('\n');
  });

  it('still answers with that one line when the password holds a malformed %-escape', async () => {
    const port = await closedPort();
    const error = await failureOf(`postgres://app:bad%zzpass@127.0.0.1:${port}/db`);
    expect(error).toBeInstanceOf(DatabaseUnreachableError);
    expect(error.message).not.toContain('bad%zzpass');
  });
});
