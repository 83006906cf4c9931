import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Registry } from 'prom-client';

/** The Prometheus scrape endpoint, at the root (`GET /metrics`), outside the API and its docs. */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly registry: Registry) {}

  @Get()
  async scrape(@Res() res: Response): Promise<void> {
    const body = await this.registry.metrics();
    res.setHeader('Content-Type', this.registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    // A Buffer, so that Express sends the Content-Type as set (for a string it rewrites the charset parameter).
    res.send(Buffer.from(body, 'utf8'));
  }
}
