export * from './env.schema';
export * from './sms-provider-name';
export * from './validate-env';
export * from './development-secrets';
export * from './test-numbers';
export * from './app-config.module';
export * from './app-config.service';
export * from './sms-routes';
