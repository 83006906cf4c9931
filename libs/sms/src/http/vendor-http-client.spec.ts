import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { SmsProviderError } from '../sms-provider.error';
import { type VendorHttpClientOptions, VendorHttpClient } from './vendor-http-client';

/** One request as the loopback vendor received it. */
interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const TOKEN = 'Bearer s3cret-token-value';
const API_KEY = 'api-key-in-the-query';

describe(VendorHttpClient.name, () => {
  let server: Server;
  let origin: string;
  let received: Received[];
  let handler: Handler;

  beforeEach(async () => {
    received = [];
    handler = (_req, res) => res.end();
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        handler(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function sut(options: Partial<VendorHttpClientOptions> = {}): VendorHttpClient {
    return new VendorHttpClient({ provider: 'acme', vendor: 'Acme', baseUrl: origin, timeoutMs: 2000, ...options });
  }

  function answer(status: number, body: string, headers: Record<string, string> = {}): void {
    handler = (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };
  }

  /** The SmsProviderError the call rejected with. */
  async function failureOf(call: Promise<unknown>): Promise<SmsProviderError> {
    const error = await call.then(
      () => new Error('expected the call to fail'),
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(SmsProviderError);
    return error as SmsProviderError;
  }

  const send = (client: VendorHttpClient, path = '/send') =>
    client.request({ method: 'POST', path, headers: { Authorization: TOKEN }, body: '{}' });

  describe('the request', () => {
    it('goes to base URL + path, query string, headers and body bytes exactly as the adapter built them', async () => {
      answer(200, '{}');
      const body = 'To=%2B77001234567&Body=Code%3A+123456+%D0%BA%D0%BE%D0%B4';

      await sut({ baseUrl: `${origin}/api/v1` }).request({
        method: 'POST',
        path: `/service/message/send?output=json&apiKey=${API_KEY}&ids%5B0%5D=1`,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body,
      });

      expect(received).toHaveLength(1);
      const [request] = received;
      expect(request.method).toBe('POST');
      expect(request.url).toBe(`/api/v1/service/message/send?output=json&apiKey=${API_KEY}&ids%5B0%5D=1`);
      expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(request.headers.accept).toBe('application/json');
      expect(request.headers['content-length']).toBe(String(Buffer.byteLength(body)));
      expect(request.body).toBe(body);
    });

    it('sends a JSON string as it is, without re-encoding it', async () => {
      answer(200, '{}');
      const body = JSON.stringify({ text: 'Код: 1', nested: { list: [1, 2] } });

      await sut().request({ method: 'POST', path: '/send', headers: { 'Content-Type': 'application/json' }, body });

      expect(received[0].headers['content-type']).toBe('application/json');
      expect(received[0].body).toBe(body);
    });

    it('sends a GET without a body or a Content-Type', async () => {
      answer(200, '{}');

      await sut().request({ method: 'GET', path: '/status?id=1', headers: { Accept: 'application/json' } });

      expect(received[0]).toMatchObject({ method: 'GET', url: '/status?id=1', body: '' });
      expect(received[0].headers['content-type']).toBeUndefined();
    });

    it('goes straight to the vendor even when HTTP_PROXY is set', async () => {
      answer(200, '{"ok":true}');
      const saved = process.env.HTTP_PROXY;
      process.env.HTTP_PROXY = 'http://127.0.0.1:9';
      try {
        await expect(send(sut())).resolves.toMatchObject({ status: 200, json: { ok: true } });
      } finally {
        if (saved === undefined) delete process.env.HTTP_PROXY;
        else process.env.HTTP_PROXY = saved;
      }
    });
  });

  describe('the reply', () => {
    it('is handed back as text and parsed JSON', async () => {
      answer(201, '{"sid":"SM1","count":"2"}');

      await expect(send(sut())).resolves.toEqual({
        status: 201,
        text: '{"sid":"SM1","count":"2"}',
        json: { sid: 'SM1', count: '2' },
      });
    });

    it('passes a readable 4xx through to the adapter, which reads the vendor code', async () => {
      answer(400, '{"code":21211,"message":"Invalid To"}');

      await expect(send(sut())).resolves.toEqual({
        status: 400,
        text: '{"code":21211,"message":"Invalid To"}',
        json: { code: 21211, message: 'Invalid To' },
      });
    });

    it('gives json undefined for a body that is not JSON, or empty', async () => {
      answer(200, '<html>oops</html>', { 'content-type': 'text/html' });
      await expect(send(sut())).resolves.toEqual({ status: 200, text: '<html>oops</html>', json: undefined });

      answer(204, '');
      await expect(send(sut())).resolves.toEqual({ status: 204, text: '', json: undefined });
    });

    it('decompresses a gzip reply', async () => {
      answer(200, '', { 'content-encoding': 'gzip' });
      handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(gzipSync('{"balance":"12.50"}'));
      };

      await expect(send(sut())).resolves.toMatchObject({ json: { balance: '12.50' } });
    });

    it('does not follow a redirect: the 3xx goes to the adapter and the target is never asked', async () => {
      handler = (req, res) => {
        if (req.url === '/send') {
          res.writeHead(302, { location: '/elsewhere' });
          res.end();
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"followed":true}');
        }
      };

      await expect(send(sut())).resolves.toMatchObject({ status: 302, json: undefined });
      expect(received.map((request) => request.url)).toEqual(['/send']);
    });
  });

  describe('the error mapping', () => {
    it('maps HTTP 5xx to a definite unavailable with code http_<status>', async () => {
      answer(503, '<html>Service Unavailable</html>', { 'content-type': 'text/html' });

      const error = await failureOf(send(sut()));

      expect(error).toMatchObject({ kind: 'unavailable', provider: 'acme', providerCode: 'http_503', definite: true });
      expect(error.message).toBe('Acme is unavailable (HTTP 503)');
    });

    it("maps HTTP 5xx with the vendor's own code when the adapter reads one", async () => {
      answer(500, '{"code":20500,"message":"Internal Server Error"}');
      const serverFault = jest.fn(() => ({ code: '20500', detail: 'Internal Server Error' }));

      const error = await failureOf(send(sut({ serverFault })));

      expect(serverFault).toHaveBeenCalledWith({
        status: 500,
        text: '{"code":20500,"message":"Internal Server Error"}',
        json: { code: 20500, message: 'Internal Server Error' },
      });
      expect(error).toMatchObject({ kind: 'unavailable', providerCode: '20500', definite: true });
      expect(error.message).toBe('Acme is unavailable (HTTP 500, code 20500): Internal Server Error');
    });

    it('maps a vendor that never answers to a definite timeout', async () => {
      handler = () => undefined;

      const started = Date.now();
      const error = await failureOf(send(sut({ timeoutMs: 200 })));

      expect(error).toMatchObject({ kind: 'unavailable', provider: 'acme', providerCode: 'timeout', definite: true });
      expect(error.message).toBe('Acme did not answer within 200 ms');
      expect(Date.now() - started).toBeLessThan(1500);
    });

    it('applies the timeout to the whole call: a body trickling in past the deadline times out', async () => {
      const timers: NodeJS.Timeout[] = [];
      handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"id":"');
        // A byte every 50 ms: the socket is never idle, so only a deadline on the whole call stops this.
        timers.push(setInterval(() => res.write('x'), 50));
      };
      try {
        const error = await failureOf(send(sut({ timeoutMs: 300 })));

        // The status said 200: the vendor may have taken the message, so the next provider must not send it.
        expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'timeout', definite: false });
        expect(error.message).toBe('Acme did not finish its HTTP 200 reply within 300 ms');
      } finally {
        timers.forEach(clearInterval);
      }
    });

    it('keeps a body timeout after a 4xx status definite', async () => {
      handler = (_req, res) => {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.write('{"code":');
      };

      const error = await failureOf(send(sut({ timeoutMs: 200 })));

      expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'timeout', definite: true });
    });

    it('maps a refused connection to a definite connection_failed', async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const closedPort = (server.address() as AddressInfo).port;
      await new Promise((resolve) => server.close(resolve));

      const error = await failureOf(send(sut({ baseUrl: `http://127.0.0.1:${closedPort}` })));

      expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'connection_failed', definite: true });
      expect(error.message).toBe('Acme could not be reached (ECONNREFUSED)');
    });

    it('maps a reply broken off after a 2xx status to connection_failed, not definite', async () => {
      handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"id":', () => res.destroy());
      };

      const error = await failureOf(send(sut()));

      expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'connection_failed', definite: false });
    });

    describe('malformed (an unreadable reply, as the adapter judges it)', () => {
      it('is not definite after a 2xx (the message may be on its way), definite after a 4xx', () => {
        const client = sut();

        expect(client.malformed({ status: 200, text: '<html>', json: undefined })).toMatchObject({
          kind: 'unavailable',
          provider: 'acme',
          providerCode: 'malformed_response',
          definite: false,
          message: 'Acme answered HTTP 200 with a reply that could not be read',
        });
        expect(client.malformed({ status: 404, text: '', json: undefined })).toMatchObject({
          providerCode: 'malformed_response',
          definite: true,
        });
      });

      it('is definite when the adapter says the call could not have sent anything', () => {
        expect(sut().malformed({ status: 200, text: '{}', json: {} }, true)).toMatchObject({
          providerCode: 'malformed_response',
          definite: true,
        });
      });
    });

    it.each([
      ['a refused connection', () => undefined, { baseUrl: 'http://127.0.0.1:9' }],
      ['a timeout', () => undefined, { timeoutMs: 100 }],
      ['an outage', (_req: IncomingMessage, res: ServerResponse) => res.writeHead(502).end(), {}],
    ] as const)(
      'lets no axios detail out with %s: no config, request, URL or header',
      async (_case, reply, options) => {
        handler = reply;
        const client = sut(options);

        const error = await failureOf(
          client.request({ method: 'POST', path: `/send?apiKey=${API_KEY}`, headers: { Authorization: TOKEN } }),
        );

        for (const axiosField of ['config', 'request', 'response', 'cause', 'isAxiosError']) {
          expect(error).not.toHaveProperty(axiosField);
        }
        for (const text of [error.message, error.stack ?? '', JSON.stringify(error)]) {
          expect(text).not.toContain(API_KEY);
          expect(text).not.toContain(TOKEN);
          expect(text).not.toContain('127.0.0.1');
        }
      },
    );
  });
  describe('observeCall (the per-call metrics)', () => {
    it.each([
      ['reply', (_req: IncomingMessage, res: ServerResponse) => res.writeHead(400).end('{}'), {}],
      ['server_error', (_req: IncomingMessage, res: ServerResponse) => res.writeHead(503).end(), {}],
      ['timeout', () => undefined, { timeoutMs: 100 }],
      ['connection_failed', () => undefined, { baseUrl: 'http://127.0.0.1:9' }],
    ] as const)('is told of each call once, ending in %s, with its duration', async (outcome, reply, options) => {
      handler = reply;
      const calls: { provider: string; outcome: string; seconds: number }[] = [];
      const client = sut({ ...options, observeCall: (call) => calls.push(call) });

      await send(client).catch(() => undefined);

      expect(calls).toEqual([{ provider: 'acme', outcome, seconds: expect.any(Number) as number }]);
      expect(calls[0].seconds).toBeGreaterThanOrEqual(0);
    });
  });
});
