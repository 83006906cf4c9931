import type { INestApplication } from '@nestjs/common';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { headerOf, JWKS_PATH, newSigningKey } from '../support/access-tokens';
import { expectError, login, ME, REFRESH } from '../support/http-helpers';
import { createTestApp, nextPhone, type TestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}

/**
 * README "Signing keys and rotation", step by step on one database: key A → keys "B then A" → key B only.
 * Each step is a restart with a new JWT_PRIVATE_KEYS, as an operator does it.
 */
describe('signing key rotation (e2e)', () => {
  const keyA = newSigningKey('ES256');
  const keyB = newSigningKey('ES256');
  let database: TestDatabase;
  let t: TestApp | undefined;
  let tokenA: string;
  let refreshA: string;
  let tokenB: string;

  const start = async (keys: string) => {
    await t?.close();
    t = await createTestApp({ database, env: { JWT_PRIVATE_KEYS: keys } });
    return t;
  };
  const me = (app: TestApp, token: string) => app.http.get(ME).set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.close();
    await database?.drop();
  });

  it('1. with key A, tokens carry kid A', async () => {
    const app = await start(keyA.pem);
    const session = await login(app, nextPhone());
    tokenA = session.access_token;
    refreshA = session.refresh_token;
    expect(headerOf(tokenA).kid).toBe(keyA.kid);
    expect((await app.http.get(JWKS_PATH).expect(200)).body.keys.map((key: { kid: string }) => key.kid)).toEqual([
      keyA.kid,
    ]);
  });

  it('2. with "B then A", new tokens carry kid B, and A\'s token still verifies (at /auth/me and through the JWKS)', async () => {
    const app = await start(`${keyB.pem}${keyA.pem}`);
    const session = await login(app, nextPhone());
    tokenB = session.access_token;
    expect(headerOf(tokenB).kid).toBe(keyB.kid);
    expect((await me(app, tokenA)).status).toBe(200);
    expect((await me(app, tokenB)).status).toBe(200);

    expect((await app.http.get(JWKS_PATH).expect(200)).body.keys.map((key: { kid: string }) => key.kid)).toEqual([
      keyB.kid,
      keyA.kid,
    ]);
    const keySet = createRemoteJWKSet(new URL((await listen(app.app)) + JWKS_PATH));
    for (const [token, kid] of [
      [tokenA, keyA.kid],
      [tokenB, keyB.kid],
    ]) {
      const { protectedHeader } = await jwtVerify(token, keySet, { issuer: 'sms-auth', audience: 'sms-auth' });
      expect(protectedHeader.kid).toBe(kid);
    }

    // A session of the A days refreshes into a B token: nobody is logged out by the rotation.
    const refreshed = await app.http.post(REFRESH).send({ refresh_token: refreshA });
    expect(refreshed.status).toBe(200);
    expect(headerOf(refreshed.body.access_token).kid).toBe(keyB.kid);
  });

  it("3. with key B only, A's token is refused (401) and B's works", async () => {
    const app = await start(keyB.pem);
    expectError(await me(app, tokenA), 401, 'UNAUTHORIZED');
    expect((await me(app, tokenB)).status).toBe(200);
    expect((await app.http.get(JWKS_PATH).expect(200)).body.keys.map((key: { kid: string }) => key.kid)).toEqual([
      keyB.kid,
    ]);
    const keySet = createRemoteJWKSet(new URL((await listen(app.app)) + JWKS_PATH));
    await expect(jwtVerify(tokenA, keySet)).rejects.toThrow();
    await expect(jwtVerify(tokenB, keySet, { issuer: 'sms-auth', audience: 'sms-auth' })).resolves.toBeDefined();
  });
});
