import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import { API_CSP, applySecurityHeaders, cspDirectives, DOCS_CSP } from './security-headers';

function response(): ServerResponse {
  const res = new ServerResponse(new IncomingMessage(new Socket()));
  res.setHeader('X-Powered-By', 'something');
  return res;
}

/** What helmet itself does to a response with these options, run live. */
function helmetLive(policy: string): Record<string, unknown> {
  const res = response();
  helmet({ contentSecurityPolicy: { useDefaults: false, directives: cspDirectives(policy) } })(
    new IncomingMessage(new Socket()),
    res,
    () => undefined,
  );
  return res.getHeaders();
}

function replayed(url: string): Record<string, unknown> {
  const res = response();
  const done = jest.fn();
  applySecurityHeaders({ url } as FastifyRequest, { raw: res } as unknown as FastifyReply, done);
  expect(done).toHaveBeenCalledWith();
  return res.getHeaders();
}

describe(applySecurityHeaders.name, () => {
  it('writes exactly what helmet writes, X-Powered-By removed, with the API CSP', () => {
    const headers = replayed('/api/v1/sms-auth/send-code?x=1');
    expect(headers).toEqual(helmetLive(API_CSP));
    expect(headers['x-powered-by']).toBeUndefined();
    expect(Object.keys(headers).length).toBeGreaterThan(10);
  });

  it.each(['/docs', '/docs/', '/docs/swagger-ui.css', '/docs-json'])('%s gets the Swagger UI CSP', (url) => {
    expect(replayed(url)).toEqual(helmetLive(DOCS_CSP));
  });
});
