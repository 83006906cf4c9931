import { JwtService } from '@nestjs/jwt';
import { decodeJwt } from 'jose';
import { secretKeyId } from '@app/config';
import { forgeToken, headerOf, JWKS_ALIAS, JWKS_PATH, signingKeyOf } from '../support/access-tokens';
import { expectError, login, ME } from '../support/http-helpers';
import { createTestApp, nextPhone, type TestApp } from '../support/test-app';
import { testSigningKeyPem } from '../support/test-env';

/** JWT_ALGORITHM=HS256: the deployments of before the signing keys keep working, now with a kid. */
describe('HS256 mode (e2e)', () => {
  let t: TestApp;
  let real: string;
  const me = (token: string) => t.http.get(ME).set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    t = await createTestApp({ env: { JWT_ALGORITHM: 'HS256', JWT_PRIVATE_KEYS: '' } });
    real = (await login(t, nextPhone())).access_token;
  });
  afterAll(() => t?.close());

  it('signs HS256 with kid = RFC 7638 thumbprint of the secret, and the token works at /auth/me', async () => {
    expect(headerOf(real)).toEqual({ alg: 'HS256', kid: secretKeyId(t.env.JWT_SECRET), typ: 'JWT' });
    expect(headerOf(real).kid).not.toContain(t.env.JWT_SECRET);
    expect((await me(real)).status).toBe(200);
  });

  it('accepts a legacy token without kid (as issued before the upgrade)', async () => {
    const claims = decodeJwt(real);
    const legacy = new JwtService({ secret: t.env.JWT_SECRET }).sign(
      { phone_number: claims.phone_number, sid: claims.sid },
      { subject: claims.sub, jwtid: claims.jti, issuer: claims.iss, audience: claims.aud, expiresIn: 900 },
    );
    expect(headerOf(legacy)).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect((await me(legacy)).status).toBe(200);
  });

  it('refuses a wrong kid, a wrong secret, alg none and an ES256 token → 401', async () => {
    const secret = new TextEncoder().encode(t.env.JWT_SECRET);
    expectError(
      await me(await forgeToken(real, { alg: 'HS256', kid: 'another-kid', key: secret })),
      401,
      'UNAUTHORIZED',
    );
    const otherSecret = new TextEncoder().encode('another-secret-of-at-least-32-characters!');
    for (const kid of [secretKeyId(t.env.JWT_SECRET), null])
      expectError(await me(await forgeToken(real, { alg: 'HS256', kid, key: otherSecret })), 401, 'UNAUTHORIZED');
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${real.split('.')[1]}.`;
    expectError(await me(unsigned), 401, 'UNAUTHORIZED');
    const ec = signingKeyOf(testSigningKeyPem());
    expectError(
      await me(await forgeToken(real, { alg: 'ES256', kid: ec.kid, key: ec.privateKey })),
      401,
      'UNAUTHORIZED',
    );
    // The control: the same forge with the real secret and kid is accepted.
    expect(
      (await me(await forgeToken(real, { alg: 'HS256', kid: secretKeyId(t.env.JWT_SECRET), key: secret }))).status,
    ).toBe(200);
  });

  it('publishes no key: {"keys":[]} at both JWKS paths, still cacheable', async () => {
    for (const path of [JWKS_PATH, JWKS_ALIAS]) {
      const res = await t.http.get(path);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ keys: [] });
      expect(res.headers['cache-control']).toBe('public, max-age=300');
      expect(res.text).not.toContain(t.env.JWT_SECRET);
    }
  });
});
