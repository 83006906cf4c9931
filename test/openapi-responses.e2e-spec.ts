import { type Document, ResponseChecker } from './support/openapi-response-checker';
import type { RecordedResponse } from './support/response-recorder';
import { createTestApp, type TestApp } from './support/test-app';

/** The check every integration file's responses go through (support/openapi-responses.setup.ts) catches lies. */

function response(overrides: Partial<RecordedResponse>): RecordedResponse {
  return {
    method: 'GET',
    path: '/api/v1/auth/me',
    status: 401,
    contentType: 'application/json; charset=utf-8',
    headers: {},
    body: { success: false, error: { code: 'UNAUTHORIZED', message: 'no token' } },
    test: 'fabricated',
    ...overrides,
  };
}

describe('OpenAPI response check', () => {
  let t: TestApp;
  let checker: ResponseChecker;

  beforeAll(async () => {
    t = await createTestApp();
    checker = new ResponseChecker((await t.http.get('/docs-json').expect(200)).body as Document);
  });
  afterAll(() => t?.close());

  it('accepts a documented response', () => {
    expect(checker.problems(response({}))).toEqual([]);
  });

  it('refuses an undocumented status', () => {
    expect(checker.problems(response({ status: 418 }))).toEqual([
      'status 418 is not documented for GET /api/v1/auth/me',
    ]);
  });

  it('refuses an undocumented field and a wrong type', () => {
    const problems = checker.problems(
      response({ body: { success: false, error: { code: 'UNAUTHORIZED', message: 1, secret: 'x' } } }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/body\/error\/message must be string/),
        expect.stringMatching(/additional properties.*secret/),
      ]),
    );
  });

  it('refuses a 429 without Retry-After and a body of another content type', () => {
    const limited = response({
      method: 'POST',
      path: '/api/v1/sms-auth/send-code',
      status: 429,
      body: { success: false, error: { code: 'RATE_LIMITED', message: 'slow down', retry_after: 5 } },
    });
    expect(checker.problems(limited)).toEqual(['required header Retry-After missing']);
    expect(checker.problems({ ...limited, headers: { 'retry-after': '5' } })).toEqual([]);
    expect(checker.problems(response({ contentType: 'text/html', body: undefined }))).toEqual([
      'content type text/html is not one of application/json',
    ]);
  });

  it('matches path templates, and wants the error body on unknown routes', () => {
    const unknown = response({ path: '/api/v1/nowhere', status: 404 });
    expect(
      checker.problems({ ...unknown, body: { success: false, error: { code: 'NOT_FOUND', message: 'x' } } }),
    ).toEqual([]);
    expect(checker.problems({ ...unknown, body: { ok: true } })).not.toEqual([]);
    expect(checker.problems({ ...unknown, status: 200 })).toEqual(['200 for an undocumented route or method']);
  });
});
