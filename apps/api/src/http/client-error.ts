import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCode } from '@app/common';

/** What Node's HTTP parser refused, as the status Node itself would answer and a reason clients can read. */
function describe(code: string | undefined): { status: number; reason: string; message: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, reason: 'headers_too_large', message: 'The request line or headers are too large' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, reason: 'chunk_extensions_too_large', message: 'The chunk extensions are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, reason: 'request_timeout', message: 'The request was not received in time' };
    default:
      return { status: 400, reason: 'malformed_request', message: 'The request is not valid HTTP' };
  }
}

/** The raw response for a request Node refused before any handler ran; nothing of the request is echoed. */
function clientErrorResponse(code: string | undefined): string {
  const { status, reason, message } = describe(code);
  const body = JSON.stringify({ success: false, error: { code: ErrorCode.ValidationFailed, message, reason } });
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

type ClientSocket = Duplex & { _httpMessage?: { headersSent?: boolean } | null };

/**
 * Node answers requests its parser refuses (URL or headers over 16 KB, malformed HTTP) with an empty body.
 * This answers them with the API's JSON error instead — only while the socket is writable and no response
 * to an earlier request on it has started (the same rule as Node's own handler); otherwise, and for a peer
 * that reset the connection, the socket is just destroyed. Fastify's `clientErrorHandler` (see http-adapter.ts).
 */
export function handleClientError(error: NodeJS.ErrnoException, socket: ClientSocket): void {
  if (error.code === 'ECONNRESET' || !socket.writable || socket._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  socket.end(clientErrorResponse(error.code));
}
