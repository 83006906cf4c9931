import { EventEmitter } from 'node:events';
import { Global, Module, NestModule, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { Registry } from 'prom-client';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { MetricsController } from './metrics.controller';
import { createMetricsRegistry } from './metrics-registry';
import { SmsMetrics } from './sms-metrics.service';

/**
 * Prometheus metrics. Each Nest app gets its own Registry and metric objects (the factory runs once
 * per app), so that apps in one process (the e2e tests) keep separate counts; see createMetricsRegistry.
 */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [{ provide: Registry, useFactory: createMetricsRegistry }, SmsMetrics, HttpMetricsMiddleware],
  exports: [Registry, SmsMetrics],
})
export class MetricsModule implements NestModule, OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly httpMetrics: HttpMetricsMiddleware,
  ) {}

  /**
   * Hooks the counting middleware in front of everything that may answer a request. Not through
   * `consumer.forRoutes('{*path}')`: Nest mounts that only under the global prefix and on the excluded
   * routes, so a 404 at any other path would be missed. Not even first on the Express app: the body
   * parsers, CORS and Swagger UI are mounted before Nest calls this, and a body the parser refuses
   * (400, 413) never reaches a later middleware. So it runs as the HTTP server's first 'request'
   * listener, ahead of Express, on the same req/res objects (Express sets `req.route` on them).
   */
  configure(): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (!adapter) return;
    // Typed any by Nest: only an EventEmitter (Node's http.Server) gets the listener.
    const server: unknown = adapter.getHttpServer?.();
    if (server instanceof EventEmitter) {
      server.prependListener('request', (req: Request, res: Response) =>
        this.httpMetrics.use(req, res, () => undefined),
      );
    } else {
      adapter.use((req: Request, res: Response, next: NextFunction) => this.httpMetrics.use(req, res, next));
    }
  }

  /**
   * Nest calls this after it mounted the routes and before its 404 handler, so a request reaching this
   * middleware matched no route handler: it is counted as route "unmatched".
   */
  onModuleInit(): void {
    this.adapterHost?.httpAdapter?.use((req: Request, res: Response, next: NextFunction) =>
      this.httpMetrics.fellThrough(req, res, next),
    );
  }
}
