/** Options every HTTP adapter takes besides its credentials. */
export interface HttpAdapterOptions {
  /** Everything before the vendor's own paths, without a trailing slash. */
  baseUrl: string;
  timeoutMs: number;
}
