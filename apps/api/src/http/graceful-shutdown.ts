import type { Server, ServerResponse } from 'node:http';

/**
 * Drains an HTTP server on shutdown: stops accepting connections, closes idle keep-alive ones, answers the
 * requests still running (and any that arrive on an open connection meanwhile) with `Connection: close`,
 * and waits for them, up to a deadline.
 */
export class GracefulShutdown {
  private readonly inFlight = new Set<ServerResponse>();
  private draining = false;
  private onIdle: (() => void) | undefined;

  constructor(private readonly server: Server) {
    // Before Fastify's own listener, so every request is counted from its first moment.
    server.prependListener('request', (_request, response: ServerResponse) => this.track(response));
  }

  get inFlightRequests(): number {
    return this.inFlight.size;
  }

  /**
   * Resolves true once every in-flight request finished, false when `timeoutMs` passed first; either way the
   * remaining connections are then closed, so nothing is served any more.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.draining = true;
    for (const response of this.inFlight) this.closeAfter(response);
    // Stops listening; Node also closes the connections that have no request running.
    this.server.close();
    this.server.closeIdleConnections();
    const finished =
      this.inFlight.size === 0 ||
      (await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        this.onIdle = () => {
          clearTimeout(timer);
          resolve(true);
        };
      }));
    this.onIdle = undefined;
    this.server.closeAllConnections();
    return finished;
  }

  private track(response: ServerResponse): void {
    if (this.draining) this.closeAfter(response);
    this.inFlight.add(response);
    const done = () => {
      if (this.inFlight.delete(response) && this.inFlight.size === 0) this.onIdle?.();
    };
    response.once('finish', done);
    response.once('close', done);
  }

  /** Node ends a keep-alive connection after a response that says `Connection: close`. */
  private closeAfter(response: ServerResponse): void {
    if (!response.headersSent) response.setHeader('Connection', 'close');
  }
}
