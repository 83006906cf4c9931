import { METHODS } from 'node:http';
import { Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Histogram, Registry } from 'prom-client';

/** The route label of a request no route handler was reached for (404s, bodies refused before routing). */
export const UNMATCHED_ROUTE = 'unmatched';
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const KNOWN_METHODS = new Set(METHODS);

/** What the label is read from: Fastify's request once routed. */
export type RoutedRequest = Pick<FastifyRequest, 'is404'> & { routeOptions: { url?: string } };

/**
 * The route TEMPLATE the request was served by (`/api/v1/sms-auth/webhooks/:provider`), never its URL:
 * the URL carries ids, tokens and whatever a scanner tries, which would make a series per request.
 * Fastify routes a request before it reads the body, so a route counts only once its handler was
 * reached (`reachedHandler`): a body refused by the parser or the input guard is "unmatched", as a 404 is.
 */
export function routeLabel(request: RoutedRequest, reachedHandler: boolean): string {
  const url = request.routeOptions?.url;
  if (!reachedHandler || request.is404 || typeof url !== 'string' || url.length === 0) return UNMATCHED_ROUTE;
  return url;
}

/** The HTTP method, or 'OTHER' for one Node does not know. */
export function methodLabel(method: string | undefined): string {
  const upper = (method ?? '').toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : 'OTHER';
}

/**
 * Counts and times every HTTP request Fastify answers, whatever answered it: a handler, a guard (401, 429),
 * an exception filter, the body parser or the 404 handler. Fastify hooks on the root instance (see
 * `register`): they run for every route, the 404 handler and the plugins' routes (Swagger UI's files).
 */
@Injectable()
export class HttpMetrics {
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route'>;
  private readonly reached = new WeakSet<object>();

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'sms_auth_http_requests_total',
      help: 'HTTP requests answered, by method, route template and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'sms_auth_http_request_duration_seconds',
      help: 'Time to answer HTTP requests, by method and route template.',
      labelNames: ['method', 'route'],
      buckets: HTTP_DURATION_BUCKETS,
      registers: [registry],
    });
  }

  /** preHandler runs once the body was read and the input guard let it through, right before the handler. */
  register(instance: FastifyInstance): void {
    instance.addHook('preHandler', (request, _reply, done) => {
      this.reached.add(request);
      done();
    });
    instance.addHook('onResponse', (request, reply, done) => {
      this.record(request.method, routeLabel(request, this.reached.has(request)), reply.statusCode, reply.elapsedTime);
      done();
    });
  }

  /** One answered request: `elapsedMs` since Fastify received it. */
  record(method: string | undefined, route: string, status: number, elapsedMs: number): void {
    const labels = { method: methodLabel(method), route };
    this.requests.inc({ ...labels, status: String(status) });
    this.duration.observe(labels, elapsedMs / 1000);
  }
}
