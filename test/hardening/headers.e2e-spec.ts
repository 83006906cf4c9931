import { chromium } from 'playwright-core';
import { API_CSP } from '../../apps/api/src/http/security-headers';
import { ADMIN_API_KEY } from '../admin/admin-helpers';
import { type RawAnswer, rawHttp } from '../support/raw-http';
import { expectError, login, LOGOUT, ME, REFRESH, RESEND_CODE, SEND_CODE, VERIFY_CODE } from '../support/http-helpers';
import { createTestApp, nextPhone, type TestApp } from '../support/test-app';

/** A policy as a set of directives, whatever the spacing around `;`. */
function directives(policy: string): string[] {
  return policy
    .split(';')
    .map((directive) => directive.trim().replace(/\s+/g, ' '))
    .filter(Boolean)
    .sort();
}

/** Issue 9: security headers on every response, no-store where tokens and codes travel, JSON for Node's refusals. */
describe('response headers and Node-level refusals (e2e)', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await createTestApp({ env: { ADMIN_API_KEY } });
    await t.app.listen(0, '127.0.0.1');
    port = Number(new URL((await t.app.getUrl()).replace('[::1]', '127.0.0.1')).port);
  });
  afterAll(() => t?.close());

  function expectSecurityHeaders(headers: Record<string, string>): void {
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(headers['x-powered-by']).toBeUndefined();
    expect(headers['content-security-policy']).toBeDefined();
  }

  describe('helmet on every response', () => {
    it.each([
      ['GET', '/health', 200],
      ['GET', '/api/v1/nowhere', 404],
      ['POST', SEND_CODE, 400],
      ['GET', ME, 401],
      ['GET', '/api/v1/admin/stats', 401],
    ] as const)('%s %s (%d) carries the headers and the strict API CSP', async (method, path, status) => {
      const res = method === 'GET' ? await t.http.get(path) : await t.http.post(path).send({});
      expect(res.status).toBe(status);
      expectSecurityHeaders(res.headers);
      expect(directives(res.headers['content-security-policy'])).toEqual(directives(API_CSP));
    });

    it('a body the parser refuses (malformed JSON) still carries them', async () => {
      const res = await t.http.post(SEND_CODE).set('Content-Type', 'application/json').send('{"phone_number":');
      expectError(res, 400, 'VALIDATION_FAILED');
      expectSecurityHeaders(res.headers);
    });

    it('Swagger UI gets its own CSP, and the page works under it in a browser', async () => {
      const res = await t.http.get('/docs').expect(200);
      expectSecurityHeaders(res.headers);
      const csp = res.headers['content-security-policy'];
      expect(directives(csp)).not.toEqual(directives(API_CSP));
      expect(csp).toMatch(/script-src 'self'/);
      expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);

      const browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
      });
      try {
        const page = await browser.newPage();
        const violations: string[] = [];
        page.on('console', (message) => {
          if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
        });
        await page.goto(`http://127.0.0.1:${port}/docs`);
        // The operations are rendered from /docs-json by Swagger UI's scripts: nothing was blocked on the way.
        await page.locator('.opblock-summary-path', { hasText: '/api/v1/sms-auth/send-code' }).first().waitFor();
        expect(violations).toEqual([]);
      } finally {
        await browser.close();
      }
    });

    it("the dashboard keeps its own CSP (curl -I /admin shows the dashboard's policy)", async () => {
      const res = await t.http.get('/admin').expect(200);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      const csp = res.headers['content-security-policy'];
      expect(directives(csp)).not.toEqual(directives(API_CSP));
      expect(csp).toMatch(/script-src 'self'/);
      expect(csp).toMatch(/connect-src 'self'/);
    });
  });

  describe('Cache-Control: no-store where a token or a code travels', () => {
    it('send-code and resend-code (debug_code), verify-code, refresh, logout, me — successes and errors alike', async () => {
      const phone = nextPhone();
      const session = await login(t, phone);
      const answers = [
        await t.http.post(SEND_CODE).send({ phone_number: nextPhone() }),
        await t.http.post(RESEND_CODE).send({ phone_number: nextPhone() }),
        await t.http.post(VERIFY_CODE).send({ phone_number: phone, code: '000000' }),
        await t.http.post(REFRESH).send({ refresh_token: session.refresh_token }),
        await t.http.get(ME).set('Authorization', `Bearer ${session.access_token}`),
        await t.http.post(LOGOUT).send({ refresh_token: 'x'.repeat(43) }),
        await t.http.post(SEND_CODE).send({}),
        // Refused by the input guard before routing: still no-store.
        await t.http.post(VERIFY_CODE).send({ phone_number: '\u0000', code: '123456' }),
      ];
      expect(answers[0].body.debug_code).toBeDefined();
      expect(answers[3].body.access_token).toBeDefined();
      for (const res of answers) expect(res.headers['cache-control']).toBe('no-store');
    });

    it('other routes keep their own caching', async () => {
      expect((await t.http.get('/health')).headers['cache-control']).not.toBe('no-store');
    });
  });

  describe('NOT_FOUND does not echo the query string', () => {
    it('GET /api/v1/nowhere?token=secret', async () => {
      const error = expectError(await t.http.get('/api/v1/nowhere?token=secret-value&x=1'), 404, 'NOT_FOUND');
      expect(error.message).toBe('Cannot GET /api/v1/nowhere');
    });
  });

  describe("requests Node's parser refuses get the JSON error body", () => {
    const raw = (request: string, then?: string) => rawHttp(port, request, then);

    function expectJsonError(answer: RawAnswer, status: number): void {
      expect(answer.status).toBe(status);
      expect(answer.headers).toMatch(/content-type: application\/json/i);
      expect(answer.headers).toMatch(/x-content-type-options: nosniff/i);
      expect(JSON.parse(answer.body)).toEqual({
        success: false,
        error: { code: 'VALIDATION_FAILED', message: expect.any(String), reason: expect.any(String) },
      });
    }

    it('a URL over 16 KB → 431 with JSON', async () => {
      const answer = await raw(`GET /api/v1/auth/me?x=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
      expectJsonError(answer, 431);
      expect(answer.body).not.toContain('aaaa');
    });

    it('headers over 16 KB → 431 with JSON', async () => {
      const answer = await raw(`GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
      expectJsonError(answer, 431);
    });

    it.each([
      ['a request line that is not HTTP', 'HELLO WORLD\r\n\r\n'],
      ['a header without a colon', 'GET /health HTTP/1.1\r\nHost: localhost\r\nbroken header\r\n\r\n'],
      ['a bad Content-Length', 'POST /health HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n'],
    ])('%s → 400 with JSON', async (_name, request) => {
      expectJsonError(await raw(request), 400);
    });

    it('a malformed request after a good one on the same connection → the first answered, then a JSON 400', async () => {
      const answer = await raw('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n', 'NOT HTTP AT ALL\r\n\r\n');
      const text = `${answer.headers}\r\n\r\n${answer.body}`;
      expect(text.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 400']);
      expect(text).toContain('"code":"VALIDATION_FAILED"');
    });
  });
});
