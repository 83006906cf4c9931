import { Injectable, Logger } from '@nestjs/common';
import { Gauge, Registry } from 'prom-client';
import { AdminFraudRepository } from './admin-fraud.repository';

/**
 * `fraud_prefix_blocks_active`: prefixes the breaker (SPEC §10 rule 5) blocks now, counted when /metrics is
 * scraped. A failed count keeps the last value.
 */
@Injectable()
export class PrefixBlocksGauge {
  private readonly logger = new Logger(PrefixBlocksGauge.name);

  constructor(registry: Registry, fraud: AdminFraudRepository) {
    const logger = this.logger;
    new Gauge({
      name: 'fraud_prefix_blocks_active',
      help: 'Number ranges (prefixes) the fraud guard blocks now (rule 5, the breaker).',
      registers: [registry],
      async collect() {
        try {
          this.set(await fraud.activeBlockCount());
        } catch (error) {
          logger.warn(`fraud_prefix_blocks_active not counted: ${(error as Error).message}`);
        }
      },
    });
  }
}
