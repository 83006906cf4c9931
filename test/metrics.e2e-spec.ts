import { createTestApp, nextPhone, type TestApp } from './support/test-app';
import { ME, sendCode, verify, VERIFY_CODE, wrongCode } from './support/http-helpers';

/** Prometheus metrics at GET /metrics: domain counters, HTTP counts by route template, process metrics. */

const METRICS = '/metrics';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (comments skipped). */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[key] = value.replace(/\\(.)/g, '$1');
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with exactly these labels; undefined when there is none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter(
    (sample) =>
      sample.name === name &&
      Object.keys(sample.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

async function scrape(t: TestApp): Promise<Sample[]> {
  const response = await t.http.get(METRICS);
  if (response.status !== 200) throw new Error(`GET ${METRICS} answered ${response.status}: ${response.text}`);
  expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parseMetrics(response.text);
}

describe('Prometheus metrics (e2e)', () => {
  let t: TestApp;
  let samples: Sample[];

  beforeAll(async () => {
    t = await createTestApp();
    const phone = nextPhone();

    const sent = await sendCode(t, phone);
    expect(sent.status).toBe(200);
    const code: string = sent.body.debug_code;
    expect((await verify(t, phone, wrongCode(code))).status).toBe(400);
    expect((await verify(t, phone, code)).status).toBe(200);
    expect((await t.http.get('/api/v1/no-such-route/12345')).status).toBe(404);
    expect((await t.http.get('/no-such-page/67890')).status).toBe(404);
    expect((await t.http.get(ME)).status).toBe(401);
    // Refused by the body parser, before any route.
    expect(
      (await t.http.post(VERIFY_CODE).set('Content-Type', 'application/json').send('{"phone_number":')).status,
    ).toBe(400);

    samples = await scrape(t);
  });
  afterAll(() => t?.close());

  it('counts the code sent through the console provider', () => {
    expect(valueOf(samples, 'sms_auth_codes_sent_total', { provider: 'console' })).toBe(1);
  });

  it('counts the verified code, by the provider that sent it', () => {
    expect(valueOf(samples, 'sms_auth_codes_verified_total', { provider: 'console' })).toBe(1);
  });

  it('counts the wrong code as a code_invalid verify failure, and no other reason', () => {
    expect(valueOf(samples, 'sms_auth_verify_failures_total', { reason: 'code_invalid' })).toBe(1);
    for (const reason of ['code_expired', 'max_attempts_reached', 'no_active_code', 'phone_locked']) {
      expect(valueOf(samples, 'sms_auth_verify_failures_total', { reason })).toBe(0);
    }
  });

  it('times the call to the provider', () => {
    const count = valueOf(samples, 'sms_auth_provider_request_duration_seconds_count', {
      provider: 'console',
      operation: 'send',
      outcome: 'ok',
    });
    expect(count).toBeGreaterThanOrEqual(1);
    expect(
      valueOf(samples, 'sms_auth_provider_request_duration_seconds_bucket', {
        provider: 'console',
        operation: 'send',
        outcome: 'ok',
        le: '+Inf',
      }),
    ).toBe(count);
    expect(samples.filter((sample) => sample.name === 'sms_auth_provider_errors_total')).toEqual([]);
    expect(samples.filter((sample) => sample.name === 'sms_auth_code_send_failures_total')).toEqual([]);
  });

  it('counts HTTP requests by the route template and status', () => {
    expect(
      valueOf(samples, 'sms_auth_http_requests_total', { method: 'POST', route: VERIFY_CODE, status: '200' }),
    ).toBe(1);
    expect(
      valueOf(samples, 'sms_auth_http_requests_total', { method: 'POST', route: VERIFY_CODE, status: '400' }),
    ).toBe(1);
    expect(
      valueOf(samples, 'sms_auth_http_requests_total', {
        method: 'POST',
        route: '/api/v1/sms-auth/send-code',
        status: '200',
      }),
    ).toBe(1);
    expect(
      valueOf(samples, 'sms_auth_http_request_duration_seconds_count', { method: 'POST', route: VERIFY_CODE }),
    ).toBe(2);
  });

  it('counts requests a guard refused (401) under their route', () => {
    expect(valueOf(samples, 'sms_auth_http_requests_total', { method: 'GET', route: ME, status: '401' })).toBe(1);
  });

  it('counts 404s, inside the API prefix or not, as route "unmatched", never by their URL', () => {
    expect(valueOf(samples, 'sms_auth_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(
      2,
    );
    const routes = samples
      .filter((sample) => sample.name.startsWith('sms_auth_http_'))
      .map((sample) => sample.labels.route);
    expect(routes.filter((route) => /no-such|\d{5}/.test(route))).toEqual([]);
  });

  it('counts a body the parser refused, which never reached a route', () => {
    expect(
      valueOf(samples, 'sms_auth_http_requests_total', { method: 'POST', route: 'unmatched', status: '400' }),
    ).toBe(1);
  });

  it('shows the process metrics', () => {
    expect(valueOf(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(valueOf(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(samples.some((sample) => sample.name === 'nodejs_heap_size_used_bytes')).toBe(true);
  });

  it('is left out of the OpenAPI document', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((path) => path.includes('metrics'))).toEqual([]);
  });

  it('keeps the counts of two apps in one process apart', async () => {
    const other = await createTestApp();
    try {
      const fresh = await scrape(other);
      expect(valueOf(fresh, 'sms_auth_codes_sent_total', { provider: 'console' }) ?? 0).toBe(0);
      expect(valueOf(fresh, 'sms_auth_codes_verified_total', { provider: 'console' }) ?? 0).toBe(0);
      expect(valueOf(fresh, 'sms_auth_verify_failures_total', { reason: 'code_invalid' }) ?? 0).toBe(0);
      expect(
        valueOf(fresh, 'sms_auth_http_requests_total', { method: 'POST', route: VERIFY_CODE, status: '200' }) ?? 0,
      ).toBe(0);
      expect(valueOf(fresh, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);

      const phone = nextPhone();
      expect((await sendCode(other, phone)).status).toBe(200);
      expect(valueOf(await scrape(other), 'sms_auth_codes_sent_total', { provider: 'console' })).toBe(1);
      expect(valueOf(await scrape(t), 'sms_auth_codes_sent_total', { provider: 'console' })).toBe(1);
    } finally {
      await other.close();
    }
  });
});
