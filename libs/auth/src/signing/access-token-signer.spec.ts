import { createSecretKey } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { SignJWT } from 'jose';
import { generateSigningKeyPem, parseSigningKeys, secretKeyId, type SigningKey } from '@app/config';
import type { AccessTokenSignParams } from './access-token-signer';
import { HmacAccessTokenSigner } from './hmac-access-token-signer';
import { JoseAccessTokenSigner } from './jose-access-token-signer';

const PARAMS: AccessTokenSignParams = {
  subject: 'user-1',
  jwtId: 'jti-1',
  issuer: 'sms-auth',
  audience: 'sms-auth',
  ttlSeconds: 900,
};
const EXPECTED = { issuer: 'sms-auth', audience: 'sms-auth' };
const header = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as object;
const keyOf = (algorithm: 'ES256' | 'RS256' | 'EdDSA'): SigningKey =>
  parseSigningKeys(generateSigningKeyPem(algorithm), algorithm)[0];

describe(JoseAccessTokenSigner.name, () => {
  it.each(['ES256', 'RS256', 'EdDSA'] as const)('%s: signs with the first key, kid in the header', async (alg) => {
    const [newest, older] = [keyOf(alg), keyOf(alg)];
    const signer = new JoseAccessTokenSigner([newest, older]);
    const token = await signer.sign({ sid: 's' }, PARAMS);
    expect(header(token)).toEqual({ alg, kid: newest.kid, typ: 'JWT' });
    expect(await signer.verify(token, EXPECTED)).toMatchObject({ sub: 'user-1', jti: 'jti-1', sid: 's' });
    expect(signer.publicJwks().map((jwk) => jwk.kid)).toEqual([newest.kid, older.kid]);
  });

  it('verifies tokens of every key in the set, and only those', async () => {
    const [a, b] = [keyOf('ES256'), keyOf('ES256')];
    const tokenA = await new JoseAccessTokenSigner([a]).sign({}, PARAMS);
    await expect(new JoseAccessTokenSigner([b, a]).verify(tokenA, EXPECTED)).resolves.toBeDefined();
    await expect(new JoseAccessTokenSigner([b]).verify(tokenA, EXPECTED)).rejects.toThrow();
  });

  it('pins the algorithm to the kid: another alg under a known kid is refused', async () => {
    const ec = keyOf('ES256');
    const rsa = keyOf('RS256');
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: ec.kid })
      .setIssuer('sms-auth')
      .setAudience('sms-auth')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(rsa.privateKey);
    await expect(new JoseAccessTokenSigner([ec, rsa]).verify(forged, EXPECTED)).rejects.toThrow();
  });

  it('refuses a missing kid, a wrong issuer or audience', async () => {
    const key = keyOf('EdDSA');
    const signer = new JoseAccessTokenSigner([key]);
    const noKid = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key.privateKey);
    await expect(signer.verify(noKid, EXPECTED)).rejects.toThrow(/kid/);
    const token = await signer.sign({}, PARAMS);
    await expect(signer.verify(token, { ...EXPECTED, issuer: 'other' })).rejects.toThrow();
    await expect(signer.verify(token, { ...EXPECTED, audience: 'other' })).rejects.toThrow();
  });
});

describe(HmacAccessTokenSigner.name, () => {
  const secret = 'Jq7vT2mXr9LpB4nW8kZc1HdY6sGf3RaEuN5b';
  const jwt = new JwtService({ secret: createSecretKey(Buffer.from(secret)) as unknown as string });
  const signer = new HmacAccessTokenSigner(jwt, secretKeyId(secret));

  it('signs HS256 with the kid of the secret and publishes no key', async () => {
    const token = await signer.sign({ sid: 's' }, PARAMS);
    expect(header(token)).toEqual({ alg: 'HS256', kid: secretKeyId(secret), typ: 'JWT' });
    expect(await signer.verify(token, EXPECTED)).toMatchObject({ sub: 'user-1', sid: 's' });
    expect(signer.publicJwks()).toEqual([]);
  });

  it('accepts a token without kid (issued before kids), refuses another kid', async () => {
    const legacy = jwt.sign({}, { issuer: 'sms-auth', audience: 'sms-auth', expiresIn: 60 });
    await expect(signer.verify(legacy, EXPECTED)).resolves.toBeDefined();
    const otherKid = jwt.sign({}, { issuer: 'sms-auth', audience: 'sms-auth', expiresIn: 60, keyid: 'other' });
    await expect(signer.verify(otherKid, EXPECTED)).rejects.toThrow(/kid/);
  });

  it('refuses an ES256 token and garbage', async () => {
    const es = await new JoseAccessTokenSigner([keyOf('ES256')]).sign({}, PARAMS);
    await expect(signer.verify(es, EXPECTED)).rejects.toThrow();
    await expect(signer.verify('not.a.jwt', EXPECTED)).rejects.toThrow();
  });
});
