import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const GENERATED_KEYS = ['JWT_SECRET', 'OTP_SECRET'] as const;

/**
 * Outside production, fills missing JWT_SECRET / OTP_SECRET from `<DATA_DIR>/secrets.json`, creating
 * them once, so tokens and pending codes survive a restart. Production never gets here: it must set both.
 */
export function ensureDevelopmentSecrets(env: NodeJS.ProcessEnv = process.env): void {
  if (env.NODE_ENV === 'production') return;
  const missing = GENERATED_KEYS.filter((key) => !env[key]);
  if (missing.length === 0) return;
  const dir = env.DATA_DIR || '.data';
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
  if (changed) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
}
