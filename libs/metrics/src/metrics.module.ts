import { Global, Module, NestModule } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { HttpMetrics } from './http-metrics';
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
  providers: [{ provide: Registry, useFactory: createMetricsRegistry }, SmsMetrics, HttpMetrics],
  exports: [Registry, SmsMetrics],
})
export class MetricsModule implements NestModule {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly httpMetrics: HttpMetrics,
  ) {}

  /**
   * Hooks the counting into Fastify itself, not as Nest middleware: `consumer.forRoutes('{*path}')` would
   * mount it only under the global prefix and on the excluded routes, and a body the parser refuses (400,
   * 413) is answered before any middleware that runs later. Nest calls this while the app initialises,
   * before Fastify is ready, so the hooks apply to every route.
   */
  configure(): void {
    const instance: unknown = this.adapterHost?.httpAdapter?.getInstance?.();
    if (instance && typeof (instance as FastifyInstance).addHook === 'function')
      this.httpMetrics.register(instance as FastifyInstance);
  }
}
