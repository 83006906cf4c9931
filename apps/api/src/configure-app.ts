import type { INestApplication } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { WELL_KNOWN_JWKS_PATH } from '@app/auth';
import type { AppConfig } from '@app/config';
import { Logger } from 'nestjs-pino';
import { DASHBOARD_ROUTES } from './admin/dashboard/dashboard-files';
import { registerBodyParsers } from './http/body-parsers';
import { registerInputGuard } from './http/input-guard';
import { registerSecurityHeaders } from './http/security-headers';
import { setUpSwagger } from './http/swagger';
import { createValidationPipe } from './http/validation.pipe';

export { createHttpAdapter } from './http/http-adapter';

export const API_PREFIX = 'api/v1';

/**
 * Everything main.ts and the e2e tests both need on top of AppModule, on the Fastify adapter of
 * createHttpAdapter() (trust proxy, body limit, the JSON answers to Node-level refusals are its options).
 */
export function configureApp(app: INestApplication): void {
  const config = app.get<ConfigService<AppConfig, true>>(ConfigService);
  const fastify = (app as NestFastifyApplication).getHttpAdapter().getInstance();
  app.useLogger(app.get(Logger));
  // Before the body is read, so that refusals of it, 404s and errors carry the headers too.
  registerSecurityHeaders(fastify, API_PREFIX);
  const origins = config.get('CORS_ORIGINS', { infer: true });
  if (origins.length > 0) app.enableCors({ origin: origins.includes('*') ? true : origins, maxAge: 600 });
  // JSON and urlencoded as Express's body-parser read them; then the input guard, before validation.
  registerBodyParsers(app as NestFastifyApplication);
  registerInputGuard(fastify);
  // Operations endpoints and the dashboard (its page and its files: admin, admin/dashboard.js, …) live at the
  // root, not under the API prefix, and so does the JWKS (/.well-known/jwks.json; alias /api/v1/auth/jwks).
  // Exact paths: the admin API (admin/stats, …) stays under the prefix.
  app.setGlobalPrefix(API_PREFIX, {
    exclude: ['health', 'health/ready', 'metrics', WELL_KNOWN_JWKS_PATH, ...DASHBOARD_ROUTES],
  });
  app.useGlobalPipes(createValidationPipe());
  setUpSwagger(app, config.get('APP_NAME', { infer: true }));
}
