import { connect } from 'node:net';

export interface RawAnswer {
  status: number;
  /** Everything before the first blank line: the status line and the headers of the first answer. */
  headers: string;
  /** Everything after it (with `then`, the second answer follows the first body). */
  body: string;
}

/**
 * Writes `request` to 127.0.0.1:`port` as bytes (no client-side header checks) and resolves with the whole
 * answer once the server closes the connection. `then` goes out once the first answer has arrived, as a
 * second request on the same connection.
 */
export function rawHttp(port: number, request: string, then?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (then !== undefined && chunks.length === 1) socket.write(then);
    });
    // The server may close while a long request is still being written: what it answered is what counts.
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' ? undefined : reject(error)));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]),
        headers: text.slice(0, split),
        body: text.slice(split + 4),
      });
    });
  });
}
