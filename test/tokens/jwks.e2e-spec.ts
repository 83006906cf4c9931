import type { INestApplication } from '@nestjs/common';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { headerOf, JWKS_ALIAS, JWKS_PATH, newSigningKey } from '../support/access-tokens';
import { login, ME } from '../support/http-helpers';
import { createTestApp, nextPhone, type TestApp } from '../support/test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}

/** SPEC §7: another backend verifies the access tokens with the published keys only, as jose does. */
describe.each([
  ['ES256', 'EC', 'P-256'],
  ['RS256', 'RSA', undefined],
  ['EdDSA', 'OKP', 'Ed25519'],
] as const)('%s access tokens, verified through the JWKS (e2e)', (algorithm, kty, crv) => {
  const key = newSigningKey(algorithm);
  let t: TestApp;
  let base: string;

  beforeAll(async () => {
    t = await createTestApp({ env: { JWT_ALGORITHM: algorithm, JWT_PRIVATE_KEYS: key.pem } });
    base = await listen(t.app);
  });
  afterAll(() => t?.close());

  it('signs with the configured key: alg and kid in the header', async () => {
    const session = await login(t, nextPhone());
    expect(headerOf(session.access_token)).toEqual({ alg: algorithm, kid: key.kid, typ: 'JWT' });
  });

  it('publishes the public key at /.well-known/jwks.json and /api/v1/auth/jwks, cacheable', async () => {
    for (const path of [JWKS_PATH, JWKS_ALIAS]) {
      const res = await t.http.get(path);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('public, max-age=300');
      expect(res.body).toEqual({ keys: [{ ...key.publicJwk }] });
      const [jwk] = res.body.keys as Record<string, unknown>[];
      expect(jwk).toMatchObject({ kty, kid: key.kid, alg: algorithm, use: 'sig', ...(crv && { crv }) });
      for (const privatePart of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(jwk).not.toHaveProperty(privatePart);
    }
  });

  it.each([JWKS_PATH, JWKS_ALIAS])(
    'another backend verifies a fresh token with createRemoteJWKSet(%s) + jwtVerify (issuer, audience)',
    async (path) => {
      const phone = nextPhone();
      const session = await login(t, phone);
      const keySet = createRemoteJWKSet(new URL(base + path));
      const { payload, protectedHeader } = await jwtVerify(session.access_token, keySet, {
        issuer: 'sms-auth',
        audience: 'sms-auth',
      });
      expect(protectedHeader).toMatchObject({ alg: algorithm, kid: key.kid });
      expect(payload).toEqual({
        sub: session.user.id,
        phone_number: phone,
        sid: expect.stringMatching(UUID),
        jti: expect.stringMatching(UUID),
        iat: expect.any(Number),
        exp: expect.any(Number),
        iss: 'sms-auth',
        aud: 'sms-auth',
      });
      expect(payload.exp! - payload.iat!).toBe(900);
      // A wrong audience is refused by the verifying backend, as it should be.
      await expect(jwtVerify(session.access_token, keySet, { audience: 'another-app' })).rejects.toThrow();
    },
  );

  it('serves the key set over real HTTP with its Cache-Control, at both paths', async () => {
    for (const path of [JWKS_PATH, JWKS_ALIAS]) {
      const res = await fetch(base + path);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=300');
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expect(await res.json()).toEqual({ keys: [key.publicJwk] });
    }
  });

  it('the token works at /auth/me and after a refresh keeps the kid', async () => {
    const session = await login(t, nextPhone());
    expect((await t.http.get(ME).set('Authorization', `Bearer ${session.access_token}`)).status).toBe(200);
    const refreshed = await t.http.post('/api/v1/auth/refresh').send({ refresh_token: session.refresh_token });
    expect(refreshed.status).toBe(200);
    expect(headerOf(refreshed.body.access_token)).toMatchObject({ alg: algorithm, kid: key.kid });
    expect(decodeJwt(refreshed.body.access_token).sid).toBe(decodeJwt(session.access_token).sid);
  });
});
