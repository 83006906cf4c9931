export * from './database.module';
export * from './typeorm-options';
export * from './embedded-postgres';
export * from './native-import';
export * from './redis.module';
export * from './write-batch';
