import type TestAgent from 'supertest/lib/agent';

/** One response a test app gave, as the OpenAPI check (openapi-responses.setup.ts) reads it. */
export interface RecordedResponse {
  method: string;
  /** The request path, without the query string. */
  path: string;
  status: number;
  contentType: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (undefined when the response is not JSON). */
  body: unknown;
  /** The test that made the request, for the failure report. */
  test: string | undefined;
}

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options']);

/** The responses of this test file (Jest gives each file its own module registry, so its own list). */
export const recordedResponses: RecordedResponse[] = [];

/** The OpenAPI document of the first test app of this file (the document is the same for every app). */
export const openApi: { document?: unknown } = {};

interface ResponseLike {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

function record(method: string, url: string, response: ResponseLike): void {
  const contentType = response.headers['content-type'] as string | undefined;
  const entry: RecordedResponse = {
    method: method.toUpperCase(),
    path: url.replace(/^https?:\/\/[^/]+/, '').replace(/[?#].*$/s, ''),
    status: response.status,
    contentType,
    headers: response.headers,
    body: contentType && /json/.test(contentType) ? response.body : undefined,
    test: expect.getState().currentTestName,
  };
  recordedResponses.push(entry);
}

/**
 * The agent, with every response it receives recorded (method, path, status, content type, body), so that
 * each test file's responses are checked against the OpenAPI document after it ran.
 */
export function recordingAgent(agent: TestAgent): TestAgent {
  return new Proxy(agent, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !METHODS.has(property) || typeof value !== 'function') return value;
      return (url: string, ...rest: unknown[]) => {
        const test = (value as (...args: unknown[]) => NodeJS.EventEmitter).call(target, url, ...rest);
        test.on('response', (response: ResponseLike) => record(property, url, response));
        return test;
      };
    },
  });
}
