import fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { HttpMetrics, methodLabel, routeLabel, type RoutedRequest, UNMATCHED_ROUTE } from './http-metrics';

type Sample = { labels: Record<string, string | number>; value: number; metricName?: string };

function routed(url: string | undefined, is404 = false): RoutedRequest {
  return { is404, routeOptions: { url } };
}

async function samples(registry: Registry, name: string): Promise<Sample[]> {
  return (await registry.getSingleMetric(name)!.get()).values as Sample[];
}

describe(routeLabel.name, () => {
  it('is the template of the route whose handler was reached, never the URL', () => {
    expect(routeLabel(routed('/api/v1/sms-auth/webhooks/:provider'), true)).toBe('/api/v1/sms-auth/webhooks/:provider');
  });

  it.each([
    ['no route matched (404)', routed(undefined, true), true],
    ['the 404 handler', routed('/*', true), true],
    ['a route without a url', routed(undefined), true],
    ['a route with an empty url', routed(''), true],
    ['a route whose handler was not reached (body refused)', routed('/api/v1/sms-auth/verify-code'), false],
  ])('is "unmatched" for %s', (_, request, reached) => {
    expect(routeLabel(request, reached)).toBe(UNMATCHED_ROUTE);
  });
});

describe(methodLabel.name, () => {
  it('keeps the methods Node knows and folds the rest', () => {
    expect(methodLabel('GET')).toBe('GET');
    expect(methodLabel('post')).toBe('POST');
    expect(methodLabel('BREW')).toBe('OTHER');
    expect(methodLabel(undefined)).toBe('OTHER');
  });
});

describe(HttpMetrics.name, () => {
  let registry: Registry;
  let app: FastifyInstance;

  beforeEach(async () => {
    registry = new Registry();
    app = fastify();
    new HttpMetrics(registry).register(app);
    app.post('/api/v1/sms-auth/verify-code', (request, reply) => reply.code(400).send({ body: request.body }));
    app.get('/api/v1/sms-auth/webhooks/:provider', () => ({ ok: true }));
    await app.ready();
  });
  afterEach(() => app.close());

  it('counts nothing before a request', async () => {
    expect(await samples(registry, 'sms_auth_http_requests_total')).toEqual([]);
  });

  it('counts an answered request under its method, route template and status, and times it', async () => {
    await app.inject({ method: 'POST', url: '/api/v1/sms-auth/verify-code', payload: { code: '1' } });
    expect(await samples(registry, 'sms_auth_http_requests_total')).toEqual([
      expect.objectContaining({
        labels: { method: 'POST', route: '/api/v1/sms-auth/verify-code', status: '400' },
        value: 1,
      }),
    ]);
    const count = (await samples(registry, 'sms_auth_http_request_duration_seconds')).find(
      (sample) => sample.metricName === 'sms_auth_http_request_duration_seconds_count',
    );
    expect(count).toMatchObject({ labels: { method: 'POST', route: '/api/v1/sms-auth/verify-code' }, value: 1 });
  });

  it('labels a parametric route by its template, never by the URL', async () => {
    await app.inject({ method: 'GET', url: '/api/v1/sms-auth/webhooks/twilio?x=12345' });
    expect((await samples(registry, 'sms_auth_http_requests_total'))[0].labels.route).toBe(
      '/api/v1/sms-auth/webhooks/:provider',
    );
  });

  it('counts a request no route matched (a 404) as "unmatched"', async () => {
    await app.inject({ method: 'GET', url: '/no/such/page/12345' });
    expect(await samples(registry, 'sms_auth_http_requests_total')).toEqual([
      expect.objectContaining({ labels: { method: 'GET', route: UNMATCHED_ROUTE, status: '404' }, value: 1 }),
    ]);
  });

  it('counts a body the parser refused, before the handler, as "unmatched"', async () => {
    await app.inject({
      method: 'POST',
      url: '/api/v1/sms-auth/verify-code',
      headers: { 'content-type': 'application/json' },
      payload: '{"code":',
    });
    expect(await samples(registry, 'sms_auth_http_requests_total')).toEqual([
      expect.objectContaining({ labels: { method: 'POST', route: UNMATCHED_ROUTE, status: '400' }, value: 1 }),
    ]);
  });

  it('counts each response once', async () => {
    await app.inject({ method: 'GET', url: '/api/v1/sms-auth/webhooks/twilio' });
    await app.inject({ method: 'GET', url: '/api/v1/sms-auth/webhooks/twilio' });
    expect((await samples(registry, 'sms_auth_http_requests_total'))[0].value).toBe(2);
  });
});
