import { createHash } from 'node:crypto';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '@app/config';
import PgBoss from 'pg-boss';

/** pg-boss's own tables live here; pg-boss creates and migrates this schema itself when it starts. */
export const JOBS_SCHEMA = 'pgboss';
/** Connections of pg-boss's own pool (polling, sends, maintenance), apart from the app's pool. */
const JOBS_POOL_SIZE = 3;
/** How long an orderly shutdown waits for running jobs before failing them (they are then retried elsewhere). */
const STOP_TIMEOUT_MS = 5_000;

export interface JobDefinition<T extends object> {
  queue: string;
  /** `stately`: at most one job waiting and one running across all instances (recurring rounds). */
  policy?: 'standard' | 'stately';
  retryLimit?: number;
  retryDelaySeconds?: number;
  retryBackoff?: boolean;
  /** A running job not finished by then (its instance died) is failed and retried. */
  expireInSeconds?: number;
  pollingIntervalSeconds?: number;
  /** False: this process never needs the queue (nothing configured uses it); pg-boss starts only if one does. */
  enabled: boolean;
  /** Sent once the queue exists (e.g. the first round of a recurring job). */
  seed?: { data: T; startAfterSeconds: number };
  handler(data: T, job: { id: string; retryCount: number }): Promise<void>;
}

export interface EnqueueOptions {
  startAfterSeconds?: number;
  /** The job's id is derived from this: a second send with the same key is dropped (enqueued once). */
  onceKey?: string;
}

/** A UUID derived from a queue and a key, so that a repeated send conflicts on pg-boss's primary key. */
export function jobIdFor(queue: string, key: string): string {
  const hex = createHash('sha256').update(`${queue}\n${key}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Jobs in Postgres (pg-boss): timers that survive a restart and run on one instance at a time. One pg-boss per
 * process on DATABASE_URL, with a small pool of its own. It starts at bootstrap only when a defined queue is
 * enabled, so that a setup that needs no jobs opens no connection and polls nothing; it stops before the app's
 * pool closes (beforeApplicationShutdown), letting running jobs finish for a few seconds.
 */
@Injectable()
export class JobQueue implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobQueue.name);
  private readonly definitions = new Map<string, JobDefinition<object>>();
  private boss?: PgBoss;
  private starting?: Promise<PgBoss>;
  /** Set at shutdown: no pg-boss is started again (a late send fails instead). */
  private stopped = false;

  constructor(private readonly config: ConfigService<AppConfig, true>) {}

  /** Called by the owners of queues in their constructors (before bootstrap). */
  define<T extends object>(definition: JobDefinition<T>): void {
    if (this.definitions.has(definition.queue)) throw new Error(`job queue ${definition.queue} is defined twice`);
    this.definitions.set(definition.queue, definition);
  }

  get running(): boolean {
    return this.boss !== undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    if ([...this.definitions.values()].some((definition) => definition.enabled)) await this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    const boss = await this.starting?.catch(() => undefined);
    this.starting = undefined;
    this.boss = undefined;
    await boss?.stop({ graceful: true, wait: true, timeout: STOP_TIMEOUT_MS }).catch((error: unknown) => {
      this.logger.warn(`the job queue did not stop cleanly: ${(error as Error).message}`);
    });
  }

  /** Enqueues a job of an enabled queue; false when it was dropped as a repeat of `onceKey`. */
  async send<T extends object>(queue: string, data: T, options: EnqueueOptions = {}): Promise<boolean> {
    const definition = this.definitions.get(queue);
    if (!definition?.enabled) throw new Error(`job queue ${queue} is not enabled`);
    const boss = await this.start();
    const id = await boss.send(queue, data, {
      ...(options.onceKey === undefined ? {} : { id: jobIdFor(queue, options.onceKey) }),
      ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
    });
    return id !== null;
  }

  private start(): Promise<PgBoss> {
    if (this.stopped) return Promise.reject(new Error('the job queue is shut down'));
    this.starting ??= this.boot().catch((error: unknown) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
  }

  private async boot(): Promise<PgBoss> {
    const boss = new PgBoss({
      connectionString: this.config.get('DATABASE_URL', { infer: true }),
      schema: JOBS_SCHEMA,
      max: JOBS_POOL_SIZE,
      application_name: 'sms-auth-jobs',
      // No cron schedules are used: recurring work reschedules itself.
      schedule: false,
      // Completed jobs are archived after a minute and deleted after a day: payloads do not linger.
      archiveCompletedAfterSeconds: 60,
      deleteAfterSeconds: 86_400,
      maintenanceIntervalSeconds: 60,
    });
    boss.on('error', (error: Error) => this.logger.warn(`job queue: ${error.message}`));
    await boss.start();
    try {
      for (const definition of this.definitions.values()) {
        if (!definition.enabled) continue;
        await boss.createQueue(definition.queue, {
          name: definition.queue,
          policy: definition.policy ?? 'standard',
          retryLimit: definition.retryLimit ?? 2,
          retryDelay: definition.retryDelaySeconds ?? 1,
          retryBackoff: definition.retryBackoff ?? false,
          expireInSeconds: definition.expireInSeconds ?? 60,
        });
        await boss.work<object>(
          definition.queue,
          { pollingIntervalSeconds: definition.pollingIntervalSeconds ?? 1, includeMetadata: true },
          async ([job]) => {
            try {
              await definition.handler(job.data, { id: job.id, retryCount: job.retryCount });
            } catch (error) {
              // The error only: a payload may hold what must not be logged.
              this.logger.warn(
                `job ${job.id} of ${definition.queue} failed (try ${job.retryCount + 1}): ${(error as Error).message}`,
              );
              throw error;
            }
          },
        );
        if (definition.seed)
          await boss.send(definition.queue, definition.seed.data, { startAfter: definition.seed.startAfterSeconds });
      }
    } catch (error) {
      // Started but not usable: stop it, or every later send would start another (a pool and workers each).
      await boss.stop({ graceful: false }).catch(() => undefined);
      throw error;
    }
    this.boss = boss;
    return boss;
  }
}
