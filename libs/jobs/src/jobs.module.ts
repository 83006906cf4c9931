import { Module } from '@nestjs/common';
import { JobPayloadCipher } from './job-payload-cipher';
import { JobQueue } from './job-queue.service';

/** One pg-boss per process; queues are defined by the modules that own them. */
@Module({ providers: [JobQueue, JobPayloadCipher], exports: [JobQueue, JobPayloadCipher] })
export class JobsModule {}
