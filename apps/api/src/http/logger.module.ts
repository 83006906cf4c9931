import { RequestMethod } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '@app/config';
import { LoggerModule } from 'nestjs-pino';

/** Structured logs (pretty in development). Never request bodies; auth headers redacted. */
export const AppLoggerModule = LoggerModule.forRootAsync({
  inject: [ConfigService],
  useFactory: (config: ConfigService<AppConfig, true>) => {
    const pretty = config.get('NODE_ENV', { infer: true }) === 'development';
    return {
      // Express 5 path syntax (nestjs-pino's default '*' triggers a legacy-route warning).
      forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
      pinoHttp: {
        level: config.get('LOG_LEVEL', { infer: true }),
        redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-admin-key"]'], censor: '[redacted]' },
        autoLogging: { ignore: (request) => (request.url ?? '').startsWith('/health') },
        serializers: { req: (req: { method: string; url: string; id: unknown }) => ({ id: req.id, method: req.method, url: req.url }) },
        ...(pretty ? { transport: { target: 'pino-pretty', options: { singleLine: true, ignore: 'pid,hostname,req,res', translateTime: 'SYS:HH:MM:ss' } } } : {}),
      },
    };
  },
});
