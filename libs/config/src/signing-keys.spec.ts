import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { jwkThumbprint, parseSigningKeys, secretKeyId, SigningKeyError } from './signing-keys';

const ec = (namedCurve = 'P-256') => generateKeyPairSync('ec', { namedCurve });
const rsa = (modulusLength = 2048) => generateKeyPairSync('rsa', { modulusLength });
const ed25519 = () => generateKeyPairSync('ed25519');

const pkcs8 = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }) as string;
const privateJwk = (key: KeyObject) => key.export({ format: 'jwk' });

function parseError(raw: string, algorithm: Parameters<typeof parseSigningKeys>[1]): SigningKeyError {
  try {
    parseSigningKeys(raw, algorithm);
  } catch (error) {
    expect(error).toBeInstanceOf(SigningKeyError);
    return error as SigningKeyError;
  }
  throw new Error('expected parseSigningKeys to throw');
}

describe(parseSigningKeys.name, () => {
  it('reads nothing from an empty value', () => {
    expect(parseSigningKeys('  ', 'ES256')).toEqual([]);
  });

  describe('PEM', () => {
    it('reads a PKCS#8 EC P-256 key: kid = RFC 7638 thumbprint, public JWK with alg and use', async () => {
      const { privateKey, publicKey } = ec();
      const [key] = parseSigningKeys(pkcs8(privateKey), 'ES256');
      const publicJwk = publicKey.export({ format: 'jwk' });
      expect(key.kid).toBe(await calculateJwkThumbprint(publicJwk as Parameters<typeof calculateJwkThumbprint>[0]));
      expect(key.publicJwk).toEqual({ ...publicJwk, kid: key.kid, alg: 'ES256', use: 'sig' });
      expect(key.publicJwk).not.toHaveProperty('d');
      expect(key.privateKey.type).toBe('private');
      expect(key.publicKey.type).toBe('public');
    });

    it('reads SEC1 (EC PRIVATE KEY) and PKCS#1 (RSA PRIVATE KEY) blocks', () => {
      const sec1 = ec().privateKey.export({ type: 'sec1', format: 'pem' }) as string;
      expect(sec1).toContain('BEGIN EC PRIVATE KEY');
      expect(parseSigningKeys(sec1, 'ES256')).toHaveLength(1);
      const pkcs1 = rsa().privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
      expect(pkcs1).toContain('BEGIN RSA PRIVATE KEY');
      const [key] = parseSigningKeys(pkcs1, 'RS256');
      expect(key.publicJwk).toEqual(expect.objectContaining({ kty: 'RSA', alg: 'RS256', use: 'sig' }));
    });

    it('reads an Ed25519 key for EdDSA', () => {
      const [key] = parseSigningKeys(pkcs8(ed25519().privateKey), 'EdDSA');
      expect(key.publicJwk).toEqual(expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' }));
    });

    it('reads concatenated blocks newest first, and literal \\n as env files write them', () => {
      const a = ec().privateKey;
      const b = ec().privateKey;
      const joined = `${pkcs8(b)}${pkcs8(a)}`;
      const keys = parseSigningKeys(joined.replace(/\n/g, '\\n'), 'ES256');
      expect(keys.map((key) => key.kid)).toEqual([
        parseSigningKeys(pkcs8(b), 'ES256')[0].kid,
        parseSigningKeys(pkcs8(a), 'ES256')[0].kid,
      ]);
    });
  });

  describe('JSON', () => {
    it('reads one private JWK, keeping its own kid', () => {
      const [key] = parseSigningKeys(JSON.stringify({ ...privateJwk(ec().privateKey), kid: 'key-2026-01' }), 'ES256');
      expect(key.kid).toBe('key-2026-01');
      expect(key.publicJwk.kid).toBe('key-2026-01');
    });

    it('reads an array and {"keys":[…]}, in order', () => {
      const first = privateJwk(ed25519().privateKey);
      const second = { ...privateJwk(ed25519().privateKey), kid: 'old' };
      for (const raw of [JSON.stringify([first, second]), JSON.stringify({ keys: [first, second] })]) {
        const keys = parseSigningKeys(raw, 'EdDSA');
        expect(keys).toHaveLength(2);
        expect(keys[0].kid).toBe(jwkThumbprint(first));
        expect(keys[1].kid).toBe('old');
      }
    });
  });

  describe('refusals name the entry and never hold key material', () => {
    it.each([
      [
        'a public key PEM',
        () => `${pkcs8(ec().privateKey)}${ec().publicKey.export({ type: 'spki', format: 'pem' }) as string}`,
        'ES256',
        /entry 2 is a public/,
      ],
      [
        'a public JWK',
        () => JSON.stringify([ec().publicKey.export({ format: 'jwk' })]),
        'ES256',
        /entry 1 is a public key/,
      ],
      [
        'an RSA key for ES256',
        () => pkcs8(rsa().privateKey),
        'ES256',
        /entry 1 is an RSA key of 2048 bits; JWT_ALGORITHM=ES256 needs an EC P-256/,
      ],
      ['a P-384 key for ES256', () => pkcs8(ec('P-384').privateKey), 'ES256', /entry 1 is an EC key on secp384r1/],
      [
        'a 1024-bit RSA key for RS256',
        () => pkcs8(rsa(1024).privateKey),
        'RS256',
        /entry 1 is an RSA key of 1024 bits; .*at least 2048/,
      ],
      ['an EC key for EdDSA', () => pkcs8(ec().privateKey), 'EdDSA', /entry 1 is an EC key on P-256; .*Ed25519/],
      [
        'an Ed25519 JWK for RS256',
        () => JSON.stringify({ keys: [privateJwk(rsa().privateKey), privateJwk(ed25519().privateKey)] }),
        'RS256',
        /entry 2 is an ed25519 key/,
      ],
      [
        'a JWK declaring another alg',
        () => JSON.stringify({ ...privateJwk(ec().privateKey), alg: 'ES384' }),
        'ES256',
        /entry 1 declares "alg": "ES384"/,
      ],
      ['an oct JWK', () => JSON.stringify({ kty: 'oct', k: 'c2VjcmV0' }), 'ES256', /entry 1 is a symmetric/],
      [
        'an unreadable PEM body',
        () => '-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----',
        'ES256',
        /entry 1 \(PRIVATE KEY\) is not a readable private key/,
      ],
      [
        'an unreadable JWK',
        () => JSON.stringify([privateJwk(ec().privateKey), { kty: 'EC', crv: 'P-256', d: 'x' }]),
        'ES256',
        /entry 2 is not a readable private JWK/,
      ],
      [
        'an encrypted PKCS#8 key',
        () =>
          ec().privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string,
        'ES256',
        /entry 1 is an encrypted/,
      ],
      [
        'a certificate',
        () => '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
        'ES256',
        /entry 1 is a public certificate/,
      ],
      ['neither PEM nor JSON', () => 'just some words', 'ES256', /neither PEM .* nor JSON/],
      ['broken JSON', () => '{"kty":"EC",', 'ES256', /does not parse/],
      ['text around the PEM blocks', () => `garbage${pkcs8(ec().privateKey)}`, 'ES256', /text outside its PEM blocks/],
    ] as [string, () => string, 'ES256' | 'RS256' | 'EdDSA', RegExp][])('%s', (_, raw, algorithm, message) => {
      const value: string = raw();
      const error = parseError(value, algorithm);
      expect(error.message).toMatch(message);
      for (const line of value.split('\n').filter((part: string) => part.length > 20 && !part.startsWith('-----')))
        expect(error.message).not.toContain(line);
    });

    it('the same key twice: a duplicate kid', () => {
      const pem = pkcs8(ec().privateKey);
      expect(parseError(`${pem}${pkcs8(ec().privateKey)}${pem}`, 'ES256').message).toMatch(
        /entries 1 and 3 have the same kid/,
      );
      const jwks = JSON.stringify([
        { ...privateJwk(ec().privateKey), kid: 'k' },
        { ...privateJwk(ec().privateKey), kid: 'k' },
      ]);
      expect(parseError(jwks, 'ES256').message).toMatch(/entries 1 and 2 have the same kid/);
    });
  });
});

describe(secretKeyId.name, () => {
  it('is the RFC 7638 thumbprint of the secret as an oct JWK', async () => {
    const secret = 'Jq7vT2mXr9LpB4nW8kZc1HdY6sGf3RaEuN5b';
    expect(secretKeyId(secret)).toBe(
      await calculateJwkThumbprint({ kty: 'oct', k: Buffer.from(secret).toString('base64url') }),
    );
    expect(secretKeyId(secret)).not.toContain(secret);
  });
});

describe(jwkThumbprint.name, () => {
  it('matches the example of RFC 7638 §3.1', () => {
    const n =
      '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs' +
      'tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5h' +
      'ajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw';
    expect(jwkThumbprint({ kty: 'RSA', n, e: 'AQAB', alg: 'RS256', kid: '2011-04-29' })).toBe(
      'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
    );
  });
});
