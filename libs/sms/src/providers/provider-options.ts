import type { VendorCallObserver } from '../http/vendor-http-client';

/** Options every HTTP adapter takes besides its credentials. */
export interface HttpAdapterOptions {
  /** Everything before the vendor's own paths, without a trailing slash. */
  baseUrl: string;
  timeoutMs: number;
  /** Told the outcome and duration of every HTTP call to the vendor (the vendor-call metrics). */
  observeCall?: VendorCallObserver;
}

/** The HTTP part of an adapter's options, to hand to its VendorHttpClient (never the credentials beside it). */
export function httpAdapterOptions({ baseUrl, timeoutMs, observeCall }: HttpAdapterOptions): HttpAdapterOptions {
  return { baseUrl, timeoutMs, observeCall };
}
