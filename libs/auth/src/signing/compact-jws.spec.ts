import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, importJWK, type JWK, jwtVerify } from 'jose';
import type { AsymmetricJwtAlgorithm } from '@app/config';
import { signCompactJws } from './compact-jws';

const KEYS: Record<AsymmetricJwtAlgorithm, () => KeyObject> = {
  ES256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
  RS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  EdDSA: () => generateKeyPairSync('ed25519').privateKey,
};
const SIGNATURE_BYTES: Record<AsymmetricJwtAlgorithm, number> = { ES256: 64, RS256: 256, EdDSA: 64 };

describe(signCompactJws.name, () => {
  it.each(Object.keys(KEYS) as AsymmetricJwtAlgorithm[])(
    '%s: jose verifies the token with the public JWK, header and claims as given',
    async (alg) => {
      const privateKey = KEYS[alg]();
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        sub: 'user',
        phone_number: '+77001234567',
        iss: 'sms-auth',
        aud: 'sms-auth',
        iat: now,
        exp: now + 60,
      };
      const token = signCompactJws({ alg, kid: 'kid-1', typ: 'JWT' }, claims, privateKey);

      const publicKey = await importJWK(createPublicKey(privateKey).export({ format: 'jwk' }) as JWK, alg);
      const { payload, protectedHeader } = await jwtVerify(token, publicKey, {
        algorithms: [alg],
        issuer: 'sms-auth',
        audience: 'sms-auth',
      });
      expect(payload).toEqual(claims);
      expect(protectedHeader).toEqual({ alg, kid: 'kid-1', typ: 'JWT' });
      expect(decodeProtectedHeader(token)).toEqual({ alg, kid: 'kid-1', typ: 'JWT' });
      expect(Buffer.from(token.split('.')[2], 'base64url')).toHaveLength(SIGNATURE_BYTES[alg]);
    },
  );

  it('a signature does not verify with another key, nor over other claims', async () => {
    const key = KEYS.ES256();
    const token = signCompactJws({ alg: 'ES256', kid: 'k', typ: 'JWT' }, { sub: 'a' }, key);
    await expect(compactVerify(token, createPublicKey(key))).resolves.toBeDefined();
    await expect(compactVerify(token, createPublicKey(KEYS.ES256()))).rejects.toThrow();
    const [header, , signature] = token.split('.');
    const forged = `${header}.${Buffer.from('{"sub":"b"}').toString('base64url')}.${signature}`;
    await expect(compactVerify(forged, createPublicKey(key))).rejects.toThrow();
  });
});
