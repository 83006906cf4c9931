import { RequestMethod } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '@app/config';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';

/** Structured logs (pretty in development). Never request bodies; auth headers redacted. */
export const AppLoggerModule = LoggerModule.forRootAsync({
  inject: [ConfigService],
  useFactory: (config: ConfigService<AppConfig, true>) => {
    const pretty = config.get('NODE_ENV', { infer: true }) === 'development';
    const options = {
      level: config.get('LOG_LEVEL', { infer: true }),
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-admin-key"]'],
        censor: '[redacted]',
      },
      autoLogging: { ignore: (request: { url?: string }) => (request.url ?? '').startsWith('/health') },
      serializers: {
        req: (req: { method: string; url: string; id: unknown }) => ({ id: req.id, method: req.method, url: req.url }),
        // The default copies and prints every response header (a dozen from helmet) on every line.
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    };
    return {
      // path-to-regexp 8 syntax, as Nest matches middleware paths (nestjs-pino's default '*' is legacy).
      forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
      pinoHttp: pretty
        ? {
            ...options,
            transport: {
              target: 'pino-pretty',
              options: { singleLine: true, ignore: 'pid,hostname,req,res', translateTime: 'SYS:HH:MM:ss' },
            },
          }
        : // Asynchronous writes keep a write syscall per log line off the request path; what is still
          // buffered is flushed when the process exits.
          [options, pino.destination({ dest: 1, sync: false })],
    };
  },
});
