import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Registry } from 'prom-client';

/** The Prometheus scrape endpoint, at the root (`GET /metrics`), outside the API and its docs. */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly registry: Registry) {}

  @Get()
  async scrape(@Res() res: FastifyReply): Promise<void> {
    const body = await this.registry.metrics();
    res.header('Content-Type', this.registry.contentType);
    res.header('Cache-Control', 'no-store');
    res.send(body);
  }
}
