import { createHash, createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';

/** Access-token signing algorithms (SPEC §7). HS256 is kept for deployments that sign with JWT_SECRET. */
export const JWT_ALGORITHMS = ['ES256', 'RS256', 'EdDSA', 'HS256'] as const;

/** The algorithm a JWT_ALGORITHM value names, in any case and spacing; undefined when it names none. */
export function jwtAlgorithmNamed(value: string): JwtAlgorithm | undefined {
  const wanted = value.trim().toUpperCase();
  return JWT_ALGORITHMS.find((algorithm) => algorithm.toUpperCase() === wanted);
}
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];
export type AsymmetricJwtAlgorithm = Exclude<JwtAlgorithm, 'HS256'>;

export function isAsymmetricAlgorithm(algorithm: JwtAlgorithm): algorithm is AsymmetricJwtAlgorithm {
  return algorithm !== 'HS256';
}

/** A public key as published at the JWKS endpoints. */
export interface PublicJwk {
  kty: string;
  kid: string;
  alg: AsymmetricJwtAlgorithm;
  use: 'sig';
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
}

/** One entry of JWT_PRIVATE_KEYS, imported once. */
export interface SigningKey {
  kid: string;
  alg: AsymmetricJwtAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: PublicJwk;
}

/** What is wrong with JWT_PRIVATE_KEYS; the message names the entry's position and never holds key material. */
export class SigningKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SigningKeyError';
  }
}

/** The members RFC 7638 hashes, per key type, in lexicographic order. */
const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
  oct: ['k', 'kty'],
};

/** RFC 7638 JWK thumbprint: base64url(SHA-256) of the required members, sorted, without whitespace. */
export function jwkThumbprint(jwk: JsonWebKey): string {
  const members = THUMBPRINT_MEMBERS[String(jwk.kty)];
  if (!members) throw new SigningKeyError(`no thumbprint for key type ${String(jwk.kty)}`);
  const canonical: Record<string, unknown> = {};
  for (const member of members) {
    if (typeof jwk[member] !== 'string') throw new SigningKeyError(`the JWK has no "${member}"`);
    canonical[member] = jwk[member];
  }
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url');
}

/** The kid of an HS256 secret: the RFC 7638 thumbprint of its `oct` JWK (a hash; the secret is never published). */
export function secretKeyId(secret: string): string {
  return jwkThumbprint({ kty: 'oct', k: Buffer.from(secret, 'utf8').toString('base64url') });
}

const EXPECTED_KEY: Record<AsymmetricJwtAlgorithm, string> = {
  ES256: 'an EC P-256 private key',
  RS256: 'an RSA private key of at least 2048 bits',
  EdDSA: 'an Ed25519 private key',
};

function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = details.namedCurve === 'prime256v1' ? 'P-256' : (details.namedCurve ?? 'an unknown curve');
      return `an EC key on ${curve}`;
    }
    case 'rsa':
      return `an RSA key of ${details.modulusLength ?? '?'} bits`;
    default:
      return `an ${key.asymmetricKeyType ?? 'unknown'} key`;
  }
}

function fitsAlgorithm(key: KeyObject, algorithm: AsymmetricJwtAlgorithm): boolean {
  const details = key.asymmetricKeyDetails ?? {};
  switch (algorithm) {
    case 'ES256':
      return key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1';
    case 'RS256':
      return key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048;
    case 'EdDSA':
      return key.asymmetricKeyType === 'ed25519';
  }
}

interface Entry {
  /** 1-based position in JWT_PRIVATE_KEYS. */
  position: number;
  key: KeyObject;
  /** The `kid` and `alg` the JWK itself gave. */
  kid?: string;
  alg?: unknown;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
const PRIVATE_PEM_LABELS = new Set(['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY']);

function pemEntries(text: string): Entry[] {
  const blocks = [...text.matchAll(PEM_BLOCK)];
  if (blocks.length === 0)
    throw new SigningKeyError(
      'is neither PEM (-----BEGIN PRIVATE KEY-----) nor JSON (a JWK, an array or {"keys":[…]})',
    );
  if (text.replace(PEM_BLOCK, '').trim() !== '')
    throw new SigningKeyError('holds text outside its PEM blocks (only PEM blocks, one after the other)');
  return blocks.map(([block, label], index) => {
    const position = index + 1;
    if (label === 'ENCRYPTED PRIVATE KEY')
      throw new SigningKeyError(`entry ${position} is an encrypted private key; give it unencrypted`);
    if (!PRIVATE_PEM_LABELS.has(label)) {
      const what = /PUBLIC KEY|CERTIFICATE/.test(label) ? `a public ${label.toLowerCase()}` : `a "${label}" block`;
      throw new SigningKeyError(
        `entry ${position} is ${what}; give private keys (PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)`,
      );
    }
    try {
      return { position, key: createPrivateKey({ key: block, format: 'pem' }) };
    } catch {
      throw new SigningKeyError(`entry ${position} (${label}) is not a readable private key`);
    }
  });
}

function jsonEntries(text: string): Entry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SigningKeyError('looks like JSON but does not parse');
  }
  const list: unknown[] = Array.isArray(parsed)
    ? parsed
    : parsed && typeof parsed === 'object' && Array.isArray((parsed as { keys?: unknown }).keys)
      ? (parsed as { keys: unknown[] }).keys
      : [parsed];
  if (list.length === 0) throw new SigningKeyError('holds no key');
  return list.map((item, index) => {
    const position = index + 1;
    if (!item || typeof item !== 'object' || Array.isArray(item))
      throw new SigningKeyError(`entry ${position} is not a JWK object`);
    const jwk = item as JsonWebKey;
    if (jwk.kty === 'oct') throw new SigningKeyError(`entry ${position} is a symmetric (oct) key, not a private key`);
    if (jwk.d === undefined) throw new SigningKeyError(`entry ${position} is a public key (a private JWK has "d")`);
    if (jwk.use !== undefined && jwk.use !== 'sig')
      throw new SigningKeyError(`entry ${position} has "use": ${JSON.stringify(jwk.use)}; signing keys need "sig"`);
    if (jwk.kid !== undefined && (typeof jwk.kid !== 'string' || jwk.kid === ''))
      throw new SigningKeyError(`entry ${position} has a "kid" that is not a non-empty string`);
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: jwk, format: 'jwk' });
    } catch {
      throw new SigningKeyError(`entry ${position} is not a readable private JWK`);
    }
    return { position, key, kid: jwk.kid, alg: jwk.alg };
  });
}

/**
 * Parses JWT_PRIVATE_KEYS, newest first (the first signs, all verify): concatenated PEM blocks (PKCS#8, SEC1 or
 * PKCS#1; literal `\n` as env files write them), or JSON: a private JWK, an array of them, or `{"keys":[…]}`.
 * Each key must fit `algorithm`; its kid is the JWK's own `kid`, else its RFC 7638 thumbprint. Empty: no keys.
 * Synchronous (boot validation). Throws SigningKeyError naming the entry's position.
 */
export function parseSigningKeys(raw: string, algorithm: AsymmetricJwtAlgorithm): SigningKey[] {
  const text = raw.replace(/\\r/g, '').replace(/\\n/g, '\n').trim();
  if (text === '') return [];
  const entries = text.startsWith('{') || text.startsWith('[') ? jsonEntries(text) : pemEntries(text);
  const positionOfKid = new Map<string, number>();
  return entries.map((entry) => {
    const { position, key } = entry;
    if (key.type !== 'private') throw new SigningKeyError(`entry ${position} is not a private key`);
    if (!fitsAlgorithm(key, algorithm))
      throw new SigningKeyError(
        `entry ${position} is ${describeKey(key)}; JWT_ALGORITHM=${algorithm} needs ${EXPECTED_KEY[algorithm]}`,
      );
    if (entry.alg !== undefined && entry.alg !== algorithm)
      throw new SigningKeyError(
        `entry ${position} declares "alg": ${JSON.stringify(entry.alg)}, but JWT_ALGORITHM=${algorithm}`,
      );
    const publicKey = createPublicKey(key);
    const exported = publicKey.export({ format: 'jwk' });
    const kid = entry.kid ?? jwkThumbprint(exported);
    const earlier = positionOfKid.get(kid);
    if (earlier !== undefined)
      throw new SigningKeyError(`entries ${earlier} and ${position} have the same kid (the same key twice?)`);
    positionOfKid.set(kid, position);
    const publicJwk: PublicJwk = {
      kty: String(exported.kty),
      ...(exported.crv !== undefined && { crv: exported.crv }),
      ...(exported.x !== undefined && { x: exported.x }),
      ...(exported.y !== undefined && { y: exported.y }),
      ...(exported.n !== undefined && { n: exported.n }),
      ...(exported.e !== undefined && { e: exported.e }),
      kid,
      alg: algorithm,
      use: 'sig',
    };
    return { kid, alg: algorithm, privateKey: key, publicKey, publicJwk };
  });
}
