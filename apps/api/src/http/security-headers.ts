import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

/** The API answers JSON only: nothing may load, frame or submit anything from its responses. */
export const API_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Swagger UI at /docs: its scripts are files of this server, but its page and widgets use inline styles and
 * data: images; "Try it out" calls this server. Nothing else is allowed.
 */
export const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; " +
  "frame-ancestors 'self'";

function directives(policy: string): Record<string, string[]> {
  return Object.fromEntries(
    policy.split(';').map((directive) => {
      const [name, ...values] = directive.trim().split(/\s+/);
      return [name, values];
    }),
  );
}

function isDocs(path: string): boolean {
  return path === '/docs' || path.startsWith('/docs/') || path === '/docs-json' || path === '/docs-yaml';
}

/**
 * helmet's headers (X-Content-Type-Options: nosniff, frame, referrer, HSTS, cross-origin policies) on every
 * response, with the strict API CSP everywhere but Swagger UI. Controllers that set their own
 * Content-Security-Policy (the dashboard at /admin) overwrite it, since they set it later.
 */
export function securityHeaders(): RequestHandler {
  const options = (policy: string) => ({
    contentSecurityPolicy: { useDefaults: false, directives: directives(policy) },
  });
  const api = helmet(options(API_CSP));
  const docs = helmet(options(DOCS_CSP));
  return (request: Request, response: Response, next: NextFunction) =>
    (isDocs(request.path) ? docs : api)(request, response, next);
}

/**
 * Routes (under the API prefix) whose responses carry a token or a code (`debug_code`), errors included:
 * never stored by a browser or a proxy. All of /auth: refresh, logout, me and whatever comes next.
 */
export const NO_STORE_ROUTES = ['sms-auth/send-code', 'sms-auth/resend-code', 'sms-auth/verify-code', 'auth'];

export function noStore(_request: Request, response: Response, next: NextFunction): void {
  response.setHeader('Cache-Control', 'no-store');
  next();
}
