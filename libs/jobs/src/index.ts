export * from './job-queue.service';
export * from './job-payload-cipher';
export * from './jobs.module';
