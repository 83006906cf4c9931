import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
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

/** A CSP string as helmet's `directives` option. */
export function cspDirectives(policy: string): Record<string, string[]> {
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
/** Under a NO_STORE_ROUTE but public and cacheable: the key set (its handler sets `public, max-age`). */
export const CACHEABLE_ROUTES = ['auth/jwks'];

/** What helmet does to a response, one header after the other: set a value, or remove one (X-Powered-By). */
type HeaderChange = [name: string, value: string | null];

/**
 * helmet's changes for a CSP, recorded once by running its middleware on a stand-in response: with static
 * options they do not depend on the request, and replaying them costs a fraction of helmet's twelve
 * middlewares on every response.
 */
function helmetChanges(policy: string): HeaderChange[] {
  const changes: HeaderChange[] = [];
  const recorder = {
    setHeader: (name: string, value: string) => changes.push([name, String(value)]),
    removeHeader: (name: string) => changes.push([name, null]),
  };
  let finished = false;
  helmet({ contentSecurityPolicy: { useDefaults: false, directives: cspDirectives(policy) } })(
    {} as IncomingMessage,
    recorder as unknown as ServerResponse,
    (error?: unknown) => {
      if (error) throw error as Error;
      finished = true;
    },
  );
  if (!finished || changes.length === 0) throw new Error('helmet did not finish synchronously');
  return changes;
}

const API_HEADERS = helmetChanges(API_CSP);
const DOCS_HEADERS = helmetChanges(DOCS_CSP);

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * helmet's headers (X-Content-Type-Options: nosniff, frame, referrer, HSTS, cross-origin policies), with the
 * strict API CSP everywhere but Swagger UI, written to the Node response: headers a handler sets on the
 * reply later (the dashboard's Content-Security-Policy at /admin) win.
 */
export function applySecurityHeaders(
  request: FastifyRequest,
  reply: FastifyReply,
  done: (error?: Error) => void,
): void {
  const response = reply.raw;
  for (const [name, value] of isDocs(pathOf(request.url)) ? DOCS_HEADERS : API_HEADERS) {
    if (value === null) response.removeHeader(name);
    else response.setHeader(name, value);
  }
  done();
}

/**
 * The security headers on every response and `Cache-Control: no-store` on the NO_STORE_ROUTES (under
 * `apiPrefix`), in a Fastify onRequest hook, so that it runs before the body is read: refusals of the body,
 * 404s and errors carry the headers too.
 */
export function registerSecurityHeaders(instance: FastifyInstance, apiPrefix: string): void {
  const under = (routes: string[]) => routes.map((route) => `/${apiPrefix}/${route}`.toLowerCase());
  const noStore = under(NO_STORE_ROUTES);
  const cacheable = under(CACHEABLE_ROUTES);
  instance.addHook('onRequest', (request, reply, done) => {
    const path = pathOf(request.url).toLowerCase();
    if (
      noStore.some((route) => path === route || path.startsWith(`${route}/`)) &&
      !cacheable.some((route) => path === route || path === `${route}/`)
    )
      reply.raw.setHeader('Cache-Control', 'no-store');
    applySecurityHeaders(request, reply, done);
  });
}
