import type { FastifyInstance } from 'fastify';
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
 * Routes (under the API prefix) whose responses carry a token or a code (`debug_code`), errors included:
 * never stored by a browser or a proxy. All of /auth: refresh, logout, me and whatever comes next.
 */
export const NO_STORE_ROUTES = ['sms-auth/send-code', 'sms-auth/resend-code', 'sms-auth/verify-code', 'auth'];

/**
 * helmet's headers (X-Content-Type-Options: nosniff, frame, referrer, HSTS, cross-origin policies) on every
 * response, with the strict API CSP everywhere but Swagger UI, and `Cache-Control: no-store` on the
 * NO_STORE_ROUTES (under `apiPrefix`). A Fastify onRequest hook, so that it runs before the body is read:
 * refusals of the body, 404s and errors carry the headers too. helmet writes them to the Node response;
 * headers a handler sets on the reply later (the dashboard's Content-Security-Policy at /admin) win.
 */
export function registerSecurityHeaders(instance: FastifyInstance, apiPrefix: string): void {
  const options = (policy: string) => ({
    contentSecurityPolicy: { useDefaults: false, directives: directives(policy) },
  });
  const api = helmet(options(API_CSP));
  const docs = helmet(options(DOCS_CSP));
  const noStore = NO_STORE_ROUTES.map((route) => `/${apiPrefix}/${route}`.toLowerCase());
  instance.addHook('onRequest', (request, reply, done) => {
    const url = request.url;
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const lower = path.toLowerCase();
    if (noStore.some((route) => lower === route || lower.startsWith(`${route}/`)))
      reply.raw.setHeader('Cache-Control', 'no-store');
    (isDocs(path) ? docs : api)(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
  });
}
