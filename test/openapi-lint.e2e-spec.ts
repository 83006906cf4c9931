import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestApp, type TestApp } from './support/test-app';

/**
 * The OpenAPI document at /docs-json passes Redocly CLI's lint (recommended ruleset, redocly.yaml) with no error
 * and no warning, and says who may call what: the admin key on admin routes, the access token on the user's
 * own, `security: []` on public ones.
 */

const ROOT = resolve(__dirname, '..');
const REDOCLY = join(ROOT, 'node_modules', '.bin', 'redocly');

interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location?: { pointer?: string }[];
}

function redoclyLint(file: string): { totals: { errors: number; warnings: number }; problems: LintProblem[] } {
  const run = spawnSync(REDOCLY, ['lint', file, '--format', 'json', '--config', join(ROOT, 'redocly.yaml')], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const start = run.stdout.indexOf('{');
  if (start < 0) throw new Error(`redocly lint printed no JSON (exit ${run.status}): ${run.stderr}${run.stdout}`);
  return JSON.parse(run.stdout.slice(start));
}

describe('OpenAPI document lint (Redocly CLI)', () => {
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    t = await createTestApp();
    dir = mkdtempSync(join(tmpdir(), 'sms-auth-openapi-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t?.close();
  });

  it('GET /docs-json has no Redocly error or warning', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc, null, 2));
    const result = redoclyLint(file);
    const problems = result.problems.map(
      (problem) => `${problem.severity} ${problem.ruleId} at ${problem.location?.[0]?.pointer}: ${problem.message}`,
    );
    expect(problems).toEqual([]);
    expect(result.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('declares the admin key on every admin operation, the access token or nothing on the others', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body as {
      servers: { url: string }[];
      info: { license?: { name: string } };
      components: { securitySchemes: Record<string, { type: string; scheme: string; description?: string }> };
      paths: Record<string, Record<string, { security?: Record<string, string[]>[]; tags?: string[] }>>;
    };
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
    expect(doc.info.license?.name).toBe('MIT');
    expect(doc.components.securitySchemes['admin-key']).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      description: 'ADMIN_API_KEY',
    });
    const security: Record<string, string> = {};
    for (const [path, item] of Object.entries(doc.paths))
      for (const [method, operation] of Object.entries(item))
        security[`${method.toUpperCase()} ${path}`] = JSON.stringify(operation.security);
    for (const [operation, declared] of Object.entries(security)) {
      const admin = /\/admin\/|\/check-balance$/.test(operation);
      if (admin) expect({ operation, declared }).toEqual({ operation, declared: '[{"admin-key":[]}]' });
      else
        expect({ operation, declared }).toEqual({
          operation,
          declared: expect.stringMatching(/^\[(\{"bearer":\[\]\})?\]$/),
        });
    }
    expect(security['GET /api/v1/auth/me']).toBe('[{"bearer":[]}]');
    expect(security['POST /api/v1/sms-auth/send-code']).toBe('[]');
    expect(security['GET /api/v1/admin/providers/balance']).toBe('[{"admin-key":[]}]');
  });
});
