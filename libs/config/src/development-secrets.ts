import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AsymmetricJwtAlgorithm,
  isAsymmetricAlgorithm,
  jwtAlgorithmNamed,
  type JwtAlgorithm,
} from './signing-keys';

/** The algorithm JWT_ALGORITHM names (any case), its default when unset, undefined when it names none. */
function algorithmOf(env: NodeJS.ProcessEnv): JwtAlgorithm | undefined {
  const value = env.JWT_ALGORITHM?.trim();
  return value ? jwtAlgorithmNamed(value) : 'ES256';
}

/** A new private key for `algorithm`, as PKCS#8 PEM. */
export function generateSigningKeyPem(algorithm: AsymmetricJwtAlgorithm): string {
  const { privateKey } =
    algorithm === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : algorithm === 'RS256'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ed25519');
  return privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

function writePrivateFile(dir: string, file: string, content: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/**
 * Outside production, fills what signing and codes need but was not configured, from files under DATA_DIR
 * (`.data`), creating them once, so tokens and pending codes survive a restart:
 * - OTP_SECRET, and JWT_SECRET when JWT_ALGORITHM=HS256, from `<DATA_DIR>/secrets.json`;
 * - JWT_PRIVATE_KEYS for an asymmetric JWT_ALGORITHM (ES256 by default) from `<DATA_DIR>/jwt-<alg>.pem`
 *   (PKCS#8, mode 0600).
 * Production never gets here: it must set them.
 */
export function ensureDevelopmentSecrets(env: NodeJS.ProcessEnv = process.env): void {
  if (env.NODE_ENV === 'production') return;
  const dir = env.DATA_DIR || '.data';
  const algorithm = algorithmOf(env);
  const keys = algorithm === 'HS256' ? (['JWT_SECRET', 'OTP_SECRET'] as const) : (['OTP_SECRET'] as const);
  const missing = keys.filter((key) => !env[key]);
  if (missing.length > 0) {
    const file = join(dir, 'secrets.json');
    const stored: Record<string, string> = existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>)
      : {};
    let changed = false;
    for (const key of missing) {
      if (!stored[key]) {
        stored[key] = randomBytes(48).toString('base64url');
        changed = true;
      }
      env[key] = stored[key];
    }
    if (changed) writePrivateFile(dir, file, JSON.stringify(stored, null, 2));
  }
  // An unknown JWT_ALGORITHM is left for validateEnv to name.
  if (algorithm && isAsymmetricAlgorithm(algorithm) && !env.JWT_PRIVATE_KEYS?.trim()) {
    const file = join(dir, `jwt-${algorithm.toLowerCase()}.pem`);
    if (!existsSync(file)) writePrivateFile(dir, file, generateSigningKeyPem(algorithm));
    env.JWT_PRIVATE_KEYS = readFileSync(file, 'utf8');
  }
}
