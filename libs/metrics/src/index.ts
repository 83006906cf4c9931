export * from './stopwatch';
export * from './metrics-registry';
export * from './sms-metrics.service';
export * from './http-metrics';
export * from './metrics.controller';
export * from './metrics.module';
