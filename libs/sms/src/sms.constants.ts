/** DI token: the configured adapters by name, in the order of `SMS_PROVIDER` (a failover chain). */
export const SMS_PROVIDERS = Symbol('SMS_PROVIDERS');
