import { createPublicKey } from 'node:crypto';
import { forgeToken, headerOf, newSigningKey, signingKeyOf, unsignedToken } from '../support/access-tokens';
import { expectError, login, ME } from '../support/http-helpers';
import { createTestApp, nextPhone, type TestApp } from '../support/test-app';

/**
 * A verifier that lets the token choose its algorithm can be fooled (alg confusion): HS256 keyed with the
 * public key everyone can download, `alg: none`, or a key the token itself names. Every such token → 401.
 */
describe('access tokens: algorithm and key confusion (e2e)', () => {
  let t: TestApp;
  /** The app's key (the worker's ES256 test key). */
  let kid: string;
  let real: string;
  const encoder = new TextEncoder();

  beforeAll(async () => {
    t = await createTestApp();
    const key = signingKeyOf(t.env.JWT_PRIVATE_KEYS);
    kid = key.kid;
    real = (await login(t, nextPhone())).access_token;
    expect(headerOf(real)).toMatchObject({ alg: 'ES256', kid });
  });
  afterAll(() => t?.close());

  const me = (token: string) => t.http.get(ME).set('Authorization', `Bearer ${token}`);

  it('control: a token made here with the real key, kid and claims is accepted (the forgeries below differ only in what they claim)', async () => {
    const key = signingKeyOf(t.env.JWT_PRIVATE_KEYS);
    expect((await me(await forgeToken(real, { alg: 'ES256', kid, key: key.privateKey }))).status).toBe(200);
    expect((await me(real)).status).toBe(200);
  });

  it('HS256 signed with the public key as PEM text → 401', async () => {
    const publicPem = createPublicKey(signingKeyOf(t.env.JWT_PRIVATE_KEYS).privateKey).export({
      type: 'spki',
      format: 'pem',
    }) as string;
    for (const kidHeader of [kid, null])
      expectError(
        await me(await forgeToken(real, { alg: 'HS256', kid: kidHeader, key: encoder.encode(publicPem) })),
        401,
        'UNAUTHORIZED',
      );
  });

  it('HS256 signed with the published JWK (its JSON bytes) as the secret → 401', async () => {
    const published = (await t.http.get('/.well-known/jwks.json').expect(200)).body.keys[0];
    for (const json of [JSON.stringify(published), JSON.stringify(signingKeyOf(t.env.JWT_PRIVATE_KEYS).publicJwk)])
      expectError(
        await me(await forgeToken(real, { alg: 'HS256', kid, key: encoder.encode(json) })),
        401,
        'UNAUTHORIZED',
      );
  });

  it('alg: none (unsigned), with or without the known kid → 401', async () => {
    expectError(await me(unsignedToken(real, kid)), 401, 'UNAUTHORIZED');
    expectError(await me(unsignedToken(real, null)), 401, 'UNAUTHORIZED');
  });

  it('an unknown kid, even on a token the real key signed → 401', async () => {
    const key = signingKeyOf(t.env.JWT_PRIVATE_KEYS);
    expectError(
      await me(await forgeToken(real, { alg: 'ES256', kid: 'not-a-known-kid', key: key.privateKey })),
      401,
      'UNAUTHORIZED',
    );
  });

  it('no kid in asymmetric mode, even signed by the real key → 401', async () => {
    const key = signingKeyOf(t.env.JWT_PRIVATE_KEYS);
    expectError(
      await me(await forgeToken(real, { alg: 'ES256', kid: null, key: key.privateKey })),
      401,
      'UNAUTHORIZED',
    );
  });

  it('a key not in the set claiming the known kid → 401', async () => {
    const stranger = newSigningKey('ES256');
    expectError(await me(await forgeToken(real, { alg: 'ES256', kid, key: stranger.privateKey })), 401, 'UNAUTHORIZED');
  });

  it('RS256 (or EdDSA) against the EC kid → 401', async () => {
    const rsa = newSigningKey('RS256');
    expectError(await me(await forgeToken(real, { alg: 'RS256', kid, key: rsa.privateKey })), 401, 'UNAUTHORIZED');
    const ed = newSigningKey('EdDSA');
    expectError(await me(await forgeToken(real, { alg: 'EdDSA', kid, key: ed.privateKey })), 401, 'UNAUTHORIZED');
  });

  it('the real token with its signature cut off, or its payload changed → 401', async () => {
    const [header, payload] = real.split('.');
    expectError(await me(`${header}.${payload}.`), 401, 'UNAUTHORIZED');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const tampered = Buffer.from(JSON.stringify({ ...claims, phone_number: '+77010000000' })).toString('base64url');
    expectError(await me(`${header}.${tampered}.${real.split('.')[2]}`), 401, 'UNAUTHORIZED');
  });
});
