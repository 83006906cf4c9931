import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AppConfig } from '@app/config';
import { Logger } from 'nestjs-pino';
import { DASHBOARD_ROUTES } from './admin/dashboard/dashboard-files';
import { installClientErrorHandler } from './http/client-error';
import { inputGuard } from './http/input-guard';
import { NO_STORE_ROUTES, noStore, securityHeaders } from './http/security-headers';
import { setUpSwagger } from './http/swagger';
import { trustProxySetting } from './http/trust-proxy';
import { createValidationPipe } from './http/validation.pipe';

export const API_PREFIX = 'api/v1';

/** Everything main.ts and the e2e tests both need on top of AppModule. */
export function configureApp(app: INestApplication): void {
  const config = app.get<ConfigService<AppConfig, true>>(ConfigService);
  app.useLogger(app.get(Logger));
  (app as NestExpressApplication).set('trust proxy', trustProxySetting(config.get('TRUST_PROXY', { infer: true })));
  (app as NestExpressApplication).disable('x-powered-by');
  installClientErrorHandler(app.getHttpServer() as Server);
  app.use(securityHeaders());
  // Before the body parsers, so that refusals of these routes' bodies are not stored either.
  app.use(
    NO_STORE_ROUTES.map((route) => `/${API_PREFIX}/${route}`),
    noStore,
  );
  const origins = config.get('CORS_ORIGINS', { infer: true });
  if (origins.length > 0) app.enableCors({ origin: origins.includes('*') ? true : origins, maxAge: 600 });
  // The body parsers Nest would add at init, registered here so that the input guard runs right after them,
  // before routing and validation (Nest skips its own when these are present).
  (app as NestExpressApplication).useBodyParser('json');
  (app as NestExpressApplication).useBodyParser('urlencoded', { extended: true });
  app.use(inputGuard);
  // Operations endpoints and the dashboard (its page and its files: admin, admin/dashboard.js, …) live at the
  // root, not under the API prefix. Exact paths: the admin API (admin/stats, …) stays under the prefix.
  app.setGlobalPrefix(API_PREFIX, { exclude: ['health', 'health/ready', 'metrics', ...DASHBOARD_ROUTES] });
  app.useGlobalPipes(createValidationPipe());
  setUpSwagger(app, config.get('APP_NAME', { infer: true }));
}
