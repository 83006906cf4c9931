import { createTestApp, type TestApp } from './support/test-app';

/** SPEC §2 Operations: liveness, readiness, Swagger UI and an OpenAPI document with every error documented. */

type OpenApi = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, unknown>;
    securitySchemes?: Record<string, { type: string; scheme?: string; bearerFormat?: string }>;
  };
};
type Operation = { responses: Record<string, Response>; security?: Record<string, string[]>[] };
type Response = {
  description?: string;
  content?: Record<string, { schema?: { $ref?: string }; examples?: Record<string, { value?: any }> }>;
};

/** path → method → the stable error codes its 4xx responses must show as examples (at least these). */
const OPERATIONS: { path: string; method: 'post' | 'get'; errors: string[] }[] = [
  {
    path: '/api/v1/sms-auth/send-code',
    method: 'post',
    errors: [
      'VALIDATION_FAILED',
      'INVALID_PHONE',
      'COUNTRY_NOT_ALLOWED',
      'RATE_LIMITED',
      'RESEND_TOO_SOON',
      'PHONE_LOCKED',
    ],
  },
  {
    path: '/api/v1/sms-auth/resend-code',
    method: 'post',
    errors: ['INVALID_PHONE', 'RATE_LIMITED', 'RESEND_TOO_SOON', 'PHONE_LOCKED'],
  },
  {
    path: '/api/v1/sms-auth/verify-code',
    method: 'post',
    errors: ['CODE_INVALID', 'CODE_EXPIRED', 'MAX_ATTEMPTS_REACHED', 'NO_ACTIVE_CODE', 'PHONE_LOCKED'],
  },
  { path: '/api/v1/auth/refresh', method: 'post', errors: ['UNAUTHORIZED', 'REFRESH_TOKEN_REUSED'] },
  { path: '/api/v1/auth/logout', method: 'post', errors: ['UNAUTHORIZED'] },
  { path: '/api/v1/auth/me', method: 'get', errors: ['UNAUTHORIZED'] },
];

/** The example bodies of every 4xx response of an operation, by example name. */
function clientErrorExamples(operation: Operation): Map<string, { status: string; value: any }> {
  const examples = new Map<string, { status: string; value: any }>();
  for (const [status, response] of Object.entries(operation.responses)) {
    if (!/^4\d\d$/.test(status)) continue;
    for (const [name, example] of Object.entries(response.content?.['application/json']?.examples ?? {}))
      examples.set(name, { status, value: example.value });
  }
  return examples;
}

describe('health and API docs', () => {
  let t: TestApp;
  let doc: OpenApi;

  beforeAll(async () => {
    t = await createTestApp();
    doc = (await t.http.get('/docs-json').expect(200).expect('Content-Type', /json/)).body;
  });
  afterAll(() => t.close());

  it('GET /health answers 200 {status: ok}', async () => {
    const response = await t.http.get('/health').expect(200);
    expect(response.body).toMatchObject({ status: 'ok' });
  });

  it('GET /health/ready answers 200 with the database up', async () => {
    const response = await t.http.get('/health/ready').expect(200);
    expect(response.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
  });

  it('GET /docs serves the Swagger UI page', async () => {
    const response = await t.http.get('/docs').expect(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.text).toMatch(/swagger-ui/i);
  });

  it('GET /docs-json is an OpenAPI 3 document of the public API', () => {
    expect(doc.openapi).toMatch(/^3\./);
    for (const { path, method } of OPERATIONS) {
      expect(doc.paths[path]?.[method]).toBeDefined();
    }
  });

  it.each(OPERATIONS)('$method $path documents a 200 body schema', ({ path, method }) => {
    const ok = doc.paths[path][method].responses['200'];
    expect(ok).toBeDefined();
    const ref = ok.content?.['application/json']?.schema?.$ref;
    expect(ref).toMatch(/^#\/components\/schemas\/\w+$/);
    expect(doc.components.schemas[ref!.split('/').pop()!]).toBeDefined();
  });

  it.each(OPERATIONS)(
    '$method $path documents its 4xx errors with stable-code examples',
    ({ path, method, errors }) => {
      const operation = doc.paths[path][method];
      const clientErrors = Object.entries(operation.responses).filter(([status]) => /^4\d\d$/.test(status));
      expect(clientErrors.length).toBeGreaterThan(0);
      for (const [, response] of clientErrors)
        expect(response.content?.['application/json']?.schema?.$ref).toBe('#/components/schemas/ErrorResponseDto');

      const examples = clientErrorExamples(operation);
      expect([...examples.keys()]).toEqual(expect.arrayContaining(errors));
      for (const [code, example] of examples) {
        expect(example.value).toMatchObject({ success: false, error: { code, message: expect.any(String) } });
      }
    },
  );

  it('documents each error code under its HTTP status', () => {
    const verify = clientErrorExamples(doc.paths['/api/v1/sms-auth/verify-code'].post);
    const send = clientErrorExamples(doc.paths['/api/v1/sms-auth/send-code'].post);
    const statusOf = (examples: Map<string, { status: string }>, code: string) => examples.get(code)?.status;
    expect({
      CODE_INVALID: statusOf(verify, 'CODE_INVALID'),
      CODE_EXPIRED: statusOf(verify, 'CODE_EXPIRED'),
      MAX_ATTEMPTS_REACHED: statusOf(verify, 'MAX_ATTEMPTS_REACHED'),
      NO_ACTIVE_CODE: statusOf(verify, 'NO_ACTIVE_CODE'),
      PHONE_LOCKED: statusOf(verify, 'PHONE_LOCKED'),
      RESEND_TOO_SOON: statusOf(send, 'RESEND_TOO_SOON'),
      RATE_LIMITED: statusOf(send, 'RATE_LIMITED'),
      INVALID_PHONE: statusOf(send, 'INVALID_PHONE'),
    }).toEqual({
      CODE_INVALID: '400',
      CODE_EXPIRED: '410',
      MAX_ATTEMPTS_REACHED: '403',
      NO_ACTIVE_CODE: '404',
      PHONE_LOCKED: '423',
      RESEND_TOO_SOON: '429',
      RATE_LIMITED: '429',
      INVALID_PHONE: '400',
    });
    // The provider failures are 5xx and documented as such on send.
    expect(Object.keys(doc.paths['/api/v1/sms-auth/send-code'].post.responses)).toEqual(
      expect.arrayContaining(['502', '503']),
    );
  });

  it('has the error schema and the bearer security scheme', () => {
    expect(doc.components.schemas.ErrorResponseDto).toBeDefined();
    expect(doc.components.securitySchemes?.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/api/v1/auth/me'].get.security).toEqual(expect.arrayContaining([{ bearer: [] }]));
  });
});
