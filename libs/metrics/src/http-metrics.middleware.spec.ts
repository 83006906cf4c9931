import { EventEmitter } from 'node:events';
import type { NextFunction, Request, Response } from 'express';
import { Registry } from 'prom-client';
import { HttpMetricsMiddleware, methodLabel, routeLabel, UNMATCHED_ROUTE } from './http-metrics.middleware';

type Sample = { labels: Record<string, string | number>; value: number; metricName?: string };

function fakeRequest(overrides: Partial<Pick<Request, 'method' | 'route' | 'baseUrl' | 'url'>>): Request {
  return { method: 'GET', baseUrl: '', url: '/', ...overrides } as Request;
}

/** A response that finishes when told to, as Express's does when the last byte is handed over. */
function fakeResponse(): Response & { finish(status: number): void } {
  const emitter = new EventEmitter() as unknown as Response & { finish(status: number): void };
  emitter.finish = (status: number) => {
    emitter.statusCode = status;
    emitter.emit('finish');
  };
  return emitter;
}

async function samples(registry: Registry, name: string): Promise<Sample[]> {
  return (await registry.getSingleMetric(name)!.get()).values as Sample[];
}

describe(routeLabel.name, () => {
  it('is the template of the route that matched, never the URL', () => {
    const req = fakeRequest({
      url: '/api/v1/sms-auth/webhooks/twilio?x=1',
      route: { path: '/api/v1/sms-auth/webhooks/:provider' },
    });
    expect(routeLabel(req)).toBe('/api/v1/sms-auth/webhooks/:provider');
  });

  it('puts the mount path of a sub-router in front', () => {
    expect(routeLabel(fakeRequest({ baseUrl: '/admin', route: { path: '/users/:id' } }))).toBe('/admin/users/:id');
  });

  it.each([
    ['no route matched (404)', undefined],
    ['a route without a string path', { path: /^\/regex$/ }],
    ['a route with an empty path', { path: '' }],
  ])('is "unmatched" when %s', (_, route) => {
    expect(routeLabel(fakeRequest({ url: '/wp-admin/../../etc/passwd', route }))).toBe(UNMATCHED_ROUTE);
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

describe(HttpMetricsMiddleware.name, () => {
  let registry: Registry;
  let sut: HttpMetricsMiddleware;

  beforeEach(() => {
    registry = new Registry();
    sut = new HttpMetricsMiddleware(registry);
  });

  it('passes every request on at once', () => {
    const next = jest.fn() as unknown as NextFunction;
    sut.use(fakeRequest({}), fakeResponse(), next);
    expect(next).toHaveBeenCalledWith();
  });

  it('counts nothing until the response is finished', async () => {
    sut.use(fakeRequest({}), fakeResponse(), jest.fn());
    expect(await samples(registry, 'sms_auth_http_requests_total')).toEqual([]);
  });

  it('counts a finished response under its method, route template and status, and times it', async () => {
    const req = fakeRequest({ method: 'POST', url: '/api/v1/sms-auth/verify-code' });
    const res = fakeResponse();
    sut.use(req, res, () => {
      // Express sets the route when it matches one, after the middleware passed the request on.
      req.route = { path: '/api/v1/sms-auth/verify-code' };
    });
    res.finish(400);

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

  it('counts a request no route matched (a 404) as "unmatched"', async () => {
    const res = fakeResponse();
    sut.use(fakeRequest({ url: '/no/such/page/12345' }), res, jest.fn());
    res.finish(404);
    expect(await samples(registry, 'sms_auth_http_requests_total')).toEqual([
      expect.objectContaining({ labels: { method: 'GET', route: UNMATCHED_ROUTE, status: '404' }, value: 1 }),
    ]);
  });

  it('counts a request that fell through every route as "unmatched", even when a middleware route matched it', async () => {
    const req = fakeRequest({ url: '/api/v1/nothing-here' });
    const res = fakeResponse();
    sut.use(req, res, jest.fn());
    // nestjs-pino's middleware is mounted as a route (`/api/v1/{*path}`): Express leaves it in req.route.
    req.route = { path: '/api/v1/{*path}' };
    sut.fellThrough(req, res, jest.fn());
    res.finish(404);
    expect(await samples(registry, 'sms_auth_http_requests_total')).toEqual([
      expect.objectContaining({ labels: { method: 'GET', route: UNMATCHED_ROUTE, status: '404' }, value: 1 }),
    ]);
  });

  it('counts a response once, even if "finish" were emitted again', async () => {
    const res = fakeResponse();
    sut.use(fakeRequest({}), res, jest.fn());
    res.finish(200);
    res.finish(200);
    expect((await samples(registry, 'sms_auth_http_requests_total'))[0].value).toBe(1);
  });
});
