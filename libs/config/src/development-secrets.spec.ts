import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevelopmentSecrets } from './development-secrets';

describe(ensureDevelopmentSecrets.name, () => {
  let dataDir: string;
  const secretsFile = () => join(dataDir, 'secrets.json');
  const storedSecrets = (): Record<string, string> => JSON.parse(readFileSync(secretsFile(), 'utf8'));

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'sms-auth-secrets-'));
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('generates the missing secrets, at least 32 characters each and distinct', () => {
    const env: NodeJS.ProcessEnv = { DATA_DIR: dataDir };
    ensureDevelopmentSecrets(env);
    expect(env.JWT_SECRET?.length).toBeGreaterThanOrEqual(32);
    expect(env.OTP_SECRET?.length).toBeGreaterThanOrEqual(32);
    expect(env.JWT_SECRET).not.toBe(env.OTP_SECRET);
  });

  it('keeps them in <DATA_DIR>/secrets.json, readable by the owner only', () => {
    const env: NodeJS.ProcessEnv = { DATA_DIR: dataDir };
    ensureDevelopmentSecrets(env);
    expect(storedSecrets()).toEqual({ JWT_SECRET: env.JWT_SECRET, OTP_SECRET: env.OTP_SECRET });
    expect(statSync(secretsFile()).mode & 0o777).toBe(0o600);
  });

  it('creates DATA_DIR when it does not exist yet', () => {
    const nested = join(dataDir, 'not', 'yet');
    const env: NodeJS.ProcessEnv = { DATA_DIR: nested };
    ensureDevelopmentSecrets(env);
    expect(existsSync(join(nested, 'secrets.json'))).toBe(true);
  });

  it('returns the same secrets on the next start (a fresh env)', () => {
    const first: NodeJS.ProcessEnv = { DATA_DIR: dataDir };
    ensureDevelopmentSecrets(first);
    const second: NodeJS.ProcessEnv = { DATA_DIR: dataDir };
    ensureDevelopmentSecrets(second);
    expect(second.JWT_SECRET).toBe(first.JWT_SECRET);
    expect(second.OTP_SECRET).toBe(first.OTP_SECRET);
  });

  it('keeps an explicitly set secret and generates only the other', () => {
    const explicit = 'explicitly-configured-jwt-signing-value-42';
    const env: NodeJS.ProcessEnv = { DATA_DIR: dataDir, JWT_SECRET: explicit };
    ensureDevelopmentSecrets(env);
    expect(env.JWT_SECRET).toBe(explicit);
    expect(env.OTP_SECRET?.length).toBeGreaterThanOrEqual(32);
    expect(storedSecrets().OTP_SECRET).toBe(env.OTP_SECRET);
  });

  it('does nothing when both secrets are set', () => {
    const env: NodeJS.ProcessEnv = { DATA_DIR: dataDir, JWT_SECRET: 'j'.repeat(40), OTP_SECRET: 'o'.repeat(40) };
    ensureDevelopmentSecrets(env);
    expect(env).toEqual({ DATA_DIR: dataDir, JWT_SECRET: 'j'.repeat(40), OTP_SECRET: 'o'.repeat(40) });
    expect(existsSync(secretsFile())).toBe(false);
  });

  it('does nothing in production: secrets there must be configured', () => {
    const env: NodeJS.ProcessEnv = { NODE_ENV: 'production', DATA_DIR: dataDir };
    ensureDevelopmentSecrets(env);
    expect(env.JWT_SECRET).toBeUndefined();
    expect(env.OTP_SECRET).toBeUndefined();
    expect(existsSync(secretsFile())).toBe(false);
  });
});
