import { createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevelopmentSecrets, generateSigningKeyPem } from './development-secrets';
import { parseSigningKeys } from './signing-keys';

describe(ensureDevelopmentSecrets.name, () => {
  let dataDir: string;
  const secretsFile = () => join(dataDir, 'secrets.json');
  const storedSecrets = (): Record<string, string> => JSON.parse(readFileSync(secretsFile(), 'utf8'));
  const HS256 = { JWT_ALGORITHM: 'HS256' };

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'sms-auth-secrets-'));
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('secrets (OTP_SECRET; JWT_SECRET with JWT_ALGORITHM=HS256)', () => {
    it('generates the missing secrets, at least 32 characters each and distinct', () => {
      const env: NodeJS.ProcessEnv = { DATA_DIR: dataDir, ...HS256 };
      ensureDevelopmentSecrets(env);
      expect(env.JWT_SECRET?.length).toBeGreaterThanOrEqual(32);
      expect(env.OTP_SECRET?.length).toBeGreaterThanOrEqual(32);
      expect(env.JWT_SECRET).not.toBe(env.OTP_SECRET);
    });

    it('keeps them in <DATA_DIR>/secrets.json, readable by the owner only', () => {
      const env: NodeJS.ProcessEnv = { DATA_DIR: dataDir, ...HS256 };
      ensureDevelopmentSecrets(env);
      expect(storedSecrets()).toEqual({ JWT_SECRET: env.JWT_SECRET, OTP_SECRET: env.OTP_SECRET });
      expect(statSync(secretsFile()).mode & 0o777).toBe(0o600);
    });

    it('creates DATA_DIR when it does not exist yet', () => {
      const nested = join(dataDir, 'not', 'yet');
      const env: NodeJS.ProcessEnv = { DATA_DIR: nested, ...HS256 };
      ensureDevelopmentSecrets(env);
      expect(existsSync(join(nested, 'secrets.json'))).toBe(true);
    });

    it('returns the same secrets on the next start (a fresh env)', () => {
      const first: NodeJS.ProcessEnv = { DATA_DIR: dataDir, ...HS256 };
      ensureDevelopmentSecrets(first);
      const second: NodeJS.ProcessEnv = { DATA_DIR: dataDir, ...HS256 };
      ensureDevelopmentSecrets(second);
      expect(second.JWT_SECRET).toBe(first.JWT_SECRET);
      expect(second.OTP_SECRET).toBe(first.OTP_SECRET);
    });

    it('keeps an explicitly set secret and generates only the other', () => {
      const explicit = 'explicitly-configured-jwt-signing-value-42';
      const env: NodeJS.ProcessEnv = { DATA_DIR: dataDir, JWT_SECRET: explicit, ...HS256 };
      ensureDevelopmentSecrets(env);
      expect(env.JWT_SECRET).toBe(explicit);
      expect(env.OTP_SECRET?.length).toBeGreaterThanOrEqual(32);
      expect(storedSecrets().OTP_SECRET).toBe(env.OTP_SECRET);
    });

    it('does nothing when both secrets are set', () => {
      const env: NodeJS.ProcessEnv = {
        DATA_DIR: dataDir,
        JWT_SECRET: 'j'.repeat(40),
        OTP_SECRET: 'o'.repeat(40),
        ...HS256,
      };
      ensureDevelopmentSecrets(env);
      expect(env).toEqual({ DATA_DIR: dataDir, JWT_SECRET: 'j'.repeat(40), OTP_SECRET: 'o'.repeat(40), ...HS256 });
      expect(existsSync(secretsFile())).toBe(false);
    });

    it('generates no JWT_SECRET for an asymmetric algorithm', () => {
      const env: NodeJS.ProcessEnv = { DATA_DIR: dataDir, JWT_ALGORITHM: 'ES256' };
      ensureDevelopmentSecrets(env);
      expect(env.JWT_SECRET).toBeUndefined();
      expect(storedSecrets()).toEqual({ OTP_SECRET: env.OTP_SECRET });
    });
  });

  describe('JWT_PRIVATE_KEYS for an asymmetric JWT_ALGORITHM', () => {
    const keyFile = (alg: string) => join(dataDir, `jwt-${alg}.pem`);

    it('generates an ES256 key by default into <DATA_DIR>/jwt-es256.pem, PKCS#8, owner-only', () => {
      const env: NodeJS.ProcessEnv = { DATA_DIR: dataDir };
      ensureDevelopmentSecrets(env);
      const pem = readFileSync(keyFile('es256'), 'utf8');
      expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(env.JWT_PRIVATE_KEYS).toBe(pem);
      expect(statSync(keyFile('es256')).mode & 0o777).toBe(0o600);
      expect(parseSigningKeys(pem, 'ES256')).toHaveLength(1);
    });

    it.each([
      ['RS256', 'rs256', 'rsa'],
      ['EdDSA', 'eddsa', 'ed25519'],
      ['eddsa', 'eddsa', 'ed25519'],
    ] as const)('JWT_ALGORITHM=%s → jwt-%s.pem holding an %s key', (algorithm, file, type) => {
      const env: NodeJS.ProcessEnv = { DATA_DIR: dataDir, JWT_ALGORITHM: algorithm };
      ensureDevelopmentSecrets(env);
      expect(createPrivateKey(readFileSync(keyFile(file), 'utf8')).asymmetricKeyType).toBe(type);
      expect(env.JWT_PRIVATE_KEYS).toBe(readFileSync(keyFile(file), 'utf8'));
    });

    it('reuses the key on later starts', () => {
      const first: NodeJS.ProcessEnv = { DATA_DIR: dataDir };
      ensureDevelopmentSecrets(first);
      const second: NodeJS.ProcessEnv = { DATA_DIR: dataDir };
      ensureDevelopmentSecrets(second);
      expect(second.JWT_PRIVATE_KEYS).toBe(first.JWT_PRIVATE_KEYS);
    });

    it('keeps configured keys and writes no file', () => {
      const configured = generateSigningKeyPem('ES256');
      const env: NodeJS.ProcessEnv = { DATA_DIR: dataDir, JWT_PRIVATE_KEYS: configured, OTP_SECRET: 'o'.repeat(40) };
      ensureDevelopmentSecrets(env);
      expect(env.JWT_PRIVATE_KEYS).toBe(configured);
      expect(existsSync(keyFile('es256'))).toBe(false);
    });

    it('generates no key for HS256, nor for an unknown algorithm (validation names it)', () => {
      for (const JWT_ALGORITHM of ['HS256', 'PS512']) {
        const env: NodeJS.ProcessEnv = { DATA_DIR: dataDir, JWT_ALGORITHM };
        ensureDevelopmentSecrets(env);
        expect(env.JWT_PRIVATE_KEYS).toBeUndefined();
      }
    });

    it('does not overwrite an existing key file', () => {
      const existing = generateSigningKeyPem('ES256');
      writeFileSync(keyFile('es256'), existing, { mode: 0o600 });
      const env: NodeJS.ProcessEnv = { DATA_DIR: dataDir };
      ensureDevelopmentSecrets(env);
      expect(env.JWT_PRIVATE_KEYS).toBe(existing);
    });
  });

  it('does nothing in production: secrets and keys there must be configured', () => {
    for (const JWT_ALGORITHM of ['HS256', 'ES256']) {
      const env: NodeJS.ProcessEnv = { NODE_ENV: 'production', DATA_DIR: dataDir, JWT_ALGORITHM };
      ensureDevelopmentSecrets(env);
      expect(env.JWT_SECRET).toBeUndefined();
      expect(env.OTP_SECRET).toBeUndefined();
      expect(env.JWT_PRIVATE_KEYS).toBeUndefined();
    }
    expect(existsSync(secretsFile())).toBe(false);
    expect(existsSync(join(dataDir, 'jwt-es256.pem'))).toBe(false);
  });
});
