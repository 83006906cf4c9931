import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Gauge, Registry } from 'prom-client';
import { DataSource } from 'typeorm';

/**
 * `fraud_prefix_blocks_active`: prefixes the breaker (SPEC §10 rule 5) blocks now, counted when /metrics is
 * scraped (the partial index on blocked_until keeps it cheap). A failed count keeps the last value.
 */
@Injectable()
export class PrefixBlocksGauge {
  private readonly logger = new Logger(PrefixBlocksGauge.name);

  constructor(registry: Registry, @InjectDataSource() dataSource: DataSource) {
    const logger = this.logger;
    new Gauge({
      name: 'fraud_prefix_blocks_active',
      help: 'Number ranges (prefixes) the fraud guard blocks now (rule 5, the breaker).',
      registers: [registry],
      async collect() {
        try {
          const [row] = await dataSource.query<{ n: number }[]>(
            `SELECT count(*)::int AS n FROM fraud_subjects WHERE blocked_until > now() AND scope = 'prefix'`,
          );
          this.set(row.n);
        } catch (error) {
          logger.warn(`fraud_prefix_blocks_active not counted: ${(error as Error).message}`);
        }
      },
    });
  }
}
