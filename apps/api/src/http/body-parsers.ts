import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { parse as parseQuery } from 'qs';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { BODY_LIMIT_BYTES } from './http-adapter';

/**
 * A body refused before any route ran, shaped like the errors of Express's body-parser (http-errors: `status`,
 * `expose`, `type`), which DomainErrorFilter answers with their status and `type` as `reason`.
 */
export class BodyRefusedError extends Error {
  readonly expose = true;
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
  ) {
    super(message);
  }

  get statusCode(): number {
    return this.status;
  }
}

const DECOMPRESS: Record<string, (body: Buffer, options: { maxOutputLength: number }) => Buffer> = {
  deflate: inflateSync,
  gzip: gunzipSync,
  br: brotliDecompressSync,
};

/** The body as sent, decompressed per Content-Encoding (identity, deflate, gzip, br) to at most the limit. */
function decode(request: FastifyRequest, body: Buffer): Buffer {
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity') return body;
  const decompress = DECOMPRESS[encoding];
  if (!decompress)
    throw new BodyRefusedError(415, `unsupported content encoding "${encoding}"`, 'encoding.unsupported');
  try {
    return decompress(body, { maxOutputLength: BODY_LIMIT_BYTES });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new BodyRefusedError(413, 'request entity too large', 'entity.too.large');
    throw new BodyRefusedError(400, (error as Error).message, 'encoding.invalid');
  }
}

function charsetOf(request: FastifyRequest): string | undefined {
  return /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
}

function requireCharset(request: FastifyRequest, valid: (charset: string) => boolean): void {
  const charset = charsetOf(request);
  if (charset !== undefined && !valid(charset))
    throw new BodyRefusedError(415, `unsupported charset "${charset.toUpperCase()}"`, 'charset.unsupported');
}

/**
 * A JSON syntax error as body-parser gives it: a SyntaxError (of this realm: Nest answers it 400 by
 * `instanceof`) with status 400 and JSON.parse's message.
 */
function parseError(message: string): SyntaxError {
  return Object.assign(new SyntaxError(message), { status: 400, expose: true, type: 'entity.parse.failed' });
}

/**
 * JSON as body-parser's strict mode reads it: an empty body is `{}`, only an object or an array is a
 * document, and a parse error is the SyntaxError of JSON.parse (answered 400 with its message).
 */
export function parseJsonBody(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.length === 0) return {};
  // JSON's whitespace: space, tab, line feed, carriage return.
  const first = /^[ \t\n\r]*([^ \t\n\r])/.exec(body)?.[1];
  if (first !== '{' && first !== '[') {
    // The message JSON.parse gives for the first character, with the body's own text (as body-parser does).
    const index = first === undefined ? body.length : body.indexOf(first);
    const partial = body.substring(0, index) + '#'.repeat(body.length - index);
    try {
      JSON.parse(partial);
    } catch (error) {
      throw parseError(
        (error as Error).message.replace(/#+/g, (placeholder) => body.substring(index, index + placeholder.length)),
      );
    }
    throw parseError('strict violation');
  }
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    throw parseError((error as Error).message);
  }
}

const PARAMETER_LIMIT = 1000;
const URLENCODED_DEPTH = 32;

/** application/x-www-form-urlencoded with qs, as body-parser's extended mode reads it. */
export function parseUrlencodedBody(body: string): unknown {
  const count = body.length === 0 ? 0 : body.split('&', PARAMETER_LIMIT + 1).length;
  if (count > PARAMETER_LIMIT) throw new BodyRefusedError(413, 'too many parameters', 'parameters.too.many');
  try {
    return parseQuery(body, {
      allowPrototypes: true,
      arrayLimit: Math.max(100, count),
      depth: URLENCODED_DEPTH,
      parameterLimit: PARAMETER_LIMIT,
      strictDepth: true,
    });
  } catch (error) {
    if (error instanceof RangeError)
      throw new BodyRefusedError(400, 'The input exceeded the depth', 'querystring.parse.rangeError');
    throw error;
  }
}

type Done = (error: Error | null, body?: unknown) => void;

/** A webhook request keeps the body's bytes (after Content-Encoding) beside the parsed body. */
export type RequestWithRawBody = FastifyRequest & { rawBody?: Buffer };

/** The vendors' webhooks, whose signatures (Telegram, WhatsApp, Twilio) are over the exact bytes received. */
const WEBHOOK_PATH = /^\/api\/v1\/sms-auth\/webhooks\//i;

function parser(read: (text: string) => unknown, validCharset: (charset: string) => boolean) {
  return (request: FastifyRequest, raw: Buffer, done: Done): void => {
    try {
      requireCharset(request, validCharset);
      const body = decode(request, raw);
      if (WEBHOOK_PATH.test(request.url)) (request as RequestWithRawBody).rawBody = body;
      done(null, read(body.toString('utf8')));
    } catch (error) {
      done(error as Error);
    }
  };
}

/**
 * The bodies the API reads: JSON and urlencoded (the vendors' webhooks), up to BODY_LIMIT_BYTES, through
 * Nest's useBodyParser (so that Nest adds none of its own). Any other type is not read at all and leaves the
 * body undefined, as with Express: no 415 for a type nobody parses.
 */
export function registerBodyParsers(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeAllContentTypeParsers();
  const options = { bodyLimit: BODY_LIMIT_BYTES };
  app.useBodyParser(
    'application/json',
    options,
    parser(parseJsonBody, (charset) => charset.startsWith('utf-')),
  );
  app.useBodyParser(
    'application/x-www-form-urlencoded',
    options,
    parser(parseUrlencodedBody, (charset) => charset === 'utf-8' || charset === 'iso-8859-1'),
  );
  fastify.addContentTypeParser('*', (_request: FastifyRequest, _payload: unknown, done: Done) => done(null));
}
