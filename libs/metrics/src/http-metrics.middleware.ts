import { METHODS } from 'node:http';
import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Counter, Histogram, Registry } from 'prom-client';
import { stopwatch } from './stopwatch';

/** The route label of a request no route matched (404s, static files, requests refused before routing). */
export const UNMATCHED_ROUTE = 'unmatched';
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const KNOWN_METHODS = new Set(METHODS);

/**
 * The route TEMPLATE the request was served by (`/api/v1/sms-auth/webhooks/:provider`), never its URL:
 * the URL carries ids, tokens and whatever a scanner tries, which would make a series per request.
 * Express sets `req.route` to the last route that matched and keeps it until the response ends. That
 * may be a middleware mounted as a route (nestjs-pino's `{*path}`) when no handler matched, which is
 * why the middleware also marks the requests that fell through every route (see `fellThrough`).
 */
export function routeLabel(req: Pick<Request, 'route' | 'baseUrl'>): string {
  // Express types `req.route` as any: read it as the unknown it is.
  const route: unknown = req.route;
  const path = typeof route === 'object' && route !== null && 'path' in route ? route.path : undefined;
  if (typeof path !== 'string' || path.length === 0) return UNMATCHED_ROUTE;
  return `${req.baseUrl ?? ''}${path}`;
}

/** The HTTP method, or 'OTHER' for one Node does not know. */
export function methodLabel(method: string | undefined): string {
  const upper = (method ?? '').toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : 'OTHER';
}

/**
 * Counts and times every HTTP request when its response is finished, whatever answered it: a handler,
 * a guard (401, 429), an exception filter, the body parser or the 404 handler. MetricsModule runs `use`
 * ahead of Express for every request, and `fellThrough` after the routes (see there).
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route'>;
  private readonly unmatched = new WeakSet<Request>();

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

  /** Mounted before every route: counts the request once its response is finished. */
  use(req: Request, res: Response, next: NextFunction): void {
    const elapsed = stopwatch();
    res.once('finish', () => {
      const labels = {
        method: methodLabel(req.method),
        route: this.unmatched.has(req) ? UNMATCHED_ROUTE : routeLabel(req),
      };
      this.requests.inc({ ...labels, status: String(res.statusCode) });
      this.duration.observe(labels, elapsed());
    });
    next();
  }

  /** Mounted after every route, before the 404 handler: the request matched no route handler. */
  fellThrough(req: Request, _res: Response, next: NextFunction): void {
    this.unmatched.add(req);
    next();
  }
}
