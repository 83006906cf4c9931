import type { FakeHttpServer, RecordedRequest } from './fake-http-server';

/** A message a fake vendor accepted. */
export interface FakeMessage {
  id: string;
  /** The recipient exactly as the vendor received it (e.g. digits without `+`). */
  to: string;
  text: string;
}

/** What every fake vendor exposes to the e2e tests, whatever its API. */
export interface FakeVendor {
  provider: 'mobizon' | 'messaggio' | 'greensms' | 'twilio' | 'eskiz';
  server: FakeHttpServer;
  /** Every env var sms-auth needs to use this fake as its provider (credentials, sender, <VENDOR>_API_URL). */
  env: Record<string, string>;
  requests: RecordedRequest[];
  messages: FakeMessage[];
  /** Makes the next sends fail as a dead vendor would (HTTP 5xx or the vendor's outage shape). */
  failSends(enabled: boolean): void;
  /** Makes the next sends hang without answering. */
  hangSends(enabled: boolean): void;
  /** Moves a message to its final delivered state (what a status query returns afterwards). */
  deliver(messageId: string): void;
  close(): Promise<void>;
}
