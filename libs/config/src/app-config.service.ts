import type { ConfigService } from '@nestjs/config';
import type { AppConfig } from './env.schema';

/** Typed access: `config.get('OTP_TTL_SECONDS', { infer: true })`. */
export type AppConfigService = ConfigService<AppConfig, true>;
