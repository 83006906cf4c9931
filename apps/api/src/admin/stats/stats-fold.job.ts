import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { JobQueue } from '@app/jobs';

export const STATS_FOLD_QUEUE = 'stats-fold';
/** The deltas a fold finds: the writes of this many seconds. The figures are exact whether it ran or not. */
const FOLD_INTERVAL_SECONDS = 10;

/**
 * Moves the statistics deltas the writes append into the hourly and daily rollups (sms_auth_stats_fold), so
 * that /admin/stats reads a few thousand rows whatever the traffic. A recurring job, one round at a time
 * across instances; each round enqueues the next.
 */
@Injectable()
export class StatsFoldJob {
  private readonly logger = new Logger(StatsFoldJob.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jobs: JobQueue,
  ) {
    jobs.define<Record<string, never>>({
      queue: STATS_FOLD_QUEUE,
      policy: 'stately',
      enabled: true,
      seed: { data: {}, startAfterSeconds: FOLD_INTERVAL_SECONDS },
      retryLimit: 1_000_000,
      retryDelaySeconds: FOLD_INTERVAL_SECONDS,
      expireInSeconds: 300,
      pollingIntervalSeconds: 2,
      handler: () => this.scheduledRound(),
    });
  }

  /** Folds what is there now; returns how many rollup rows it changed. */
  async foldOnce(): Promise<number> {
    const [row] = await this.dataSource.query<{ folded: number }[]>('SELECT sms_auth_stats_fold() AS folded');
    return row.folded;
  }

  private async scheduledRound(): Promise<void> {
    await this.foldOnce().catch((error: unknown) =>
      this.logger.warn(`folding the statistics failed: ${(error as Error).message}`),
    );
    await this.jobs.send(STATS_FOLD_QUEUE, {}, { startAfterSeconds: FOLD_INTERVAL_SECONDS });
  }
}
