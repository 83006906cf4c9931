import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type ProviderOperation = 'send' | 'status' | 'balance';
export type ProviderOutcome = 'ok' | 'rejected' | 'unavailable';
/** A deferred send record's retry: it failed again, it was written, or the retries gave up. */
const SEND_RECORD_RETRY_OUTCOMES = ['failed', 'written', 'abandoned'] as const;
export type SendRecordRetryOutcome = (typeof SEND_RECORD_RETRY_OUTCOMES)[number];

/** Why a verify-code was refused: the stable error code answered, in lower case. */
export const VERIFY_FAILURE_REASONS = [
  'code_invalid',
  'code_expired',
  'max_attempts_reached',
  'no_active_code',
  'phone_locked',
] as const;
export type VerifyFailureReason = (typeof VERIFY_FAILURE_REASONS)[number];

/**
 * The delivery channels (SPEC §9; DeliveryChannel of @app/sms, which depends on this library). A channel label
 * outside them is OTHER_LABEL.
 */
export const CHANNEL_LABELS = ['sms', 'telegram', 'whatsapp'] as const;
export type ChannelLabel = (typeof CHANNEL_LABELS)[number];

/** The channel label: one of CHANNEL_LABELS, else OTHER_LABEL. */
export function channelLabel(channel: string | null | undefined): ChannelLabel | typeof OTHER_LABEL {
  return (CHANNEL_LABELS as readonly string[]).includes(channel ?? '') ? (channel as ChannelLabel) : OTHER_LABEL;
}

/** The longest label value taken from outside (a provider name, a vendor error code). */
export const MAX_LABEL_LENGTH = 32;
/** The label of a reason outside VERIFY_FAILURE_REASONS. */
export const OTHER_LABEL = 'other';
/** The label of a missing or empty value. */
export const UNKNOWN_LABEL = 'unknown';

/** Seconds; vendor HTTP calls time out after a few seconds. */
export const PROVIDER_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const OPERATIONS: readonly ProviderOperation[] = ['send', 'status', 'balance'];
const OUTCOMES: readonly ProviderOutcome[] = ['ok', 'rejected', 'unavailable'];

/** A label value of bounded length: at most MAX_LABEL_LENGTH characters, UNKNOWN_LABEL when missing or blank. */
export function boundedLabel(value: string | null | undefined): string {
  const text = (value ?? '').trim();
  return text.length === 0 ? UNKNOWN_LABEL : text.slice(0, MAX_LABEL_LENGTH);
}

/** The reason label: one of VERIFY_FAILURE_REASONS (any case), else OTHER_LABEL. */
export function verifyFailureReason(reason: string): VerifyFailureReason | typeof OTHER_LABEL {
  const normalized = reason.trim().toLowerCase();
  return (VERIFY_FAILURE_REASONS as readonly string[]).includes(normalized)
    ? (normalized as VerifyFailureReason)
    : OTHER_LABEL;
}

/**
 * The domain's metrics: codes sent and verified, failures, and the calls to SMS vendors. Every label
 * value is bounded (provider names and vendor codes truncated, reasons from a fixed set), so that no
 * input can grow the number of series.
 */
@Injectable()
export class SmsMetrics {
  private readonly codesSent: Counter<'provider'>;
  private readonly codesVerified: Counter<'provider'>;
  private readonly sendFailures: Counter<'provider' | 'error_code'>;
  private readonly verifyFailures: Counter<'reason'>;
  private readonly channelCodesSent: Counter<'channel'>;
  private readonly channelSendFailures: Counter<'channel'>;
  private readonly providerDuration: Histogram<'provider' | 'operation' | 'outcome'>;
  private readonly providerErrors: Counter<'provider' | 'kind'>;
  private readonly vendorHttpDuration: Histogram<'provider' | 'outcome'>;
  private readonly sendRecordRetries: Counter<'outcome'>;
  private readonly sendRecordsPending: Gauge;
  private readonly deliveryFailovers: Counter<'from' | 'to'>;
  private readonly fraudDecisions: Counter<'rule' | 'action' | 'mode'>;
  private readonly retentionRemovedRows: Counter<'table'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.fraudDecisions = new Counter({
      name: 'fraud_decisions_total',
      help: 'Fraud guard verdicts on sends, by the blocking rule (none when allowed), action and mode.',
      labelNames: ['rule', 'action', 'mode'],
      registers,
    });
    this.codesSent = new Counter({
      name: 'sms_auth_codes_sent_total',
      help: 'Codes handed over: accepted by an SMS provider, or issued to a test number (provider "test_number").',
      labelNames: ['provider'],
      registers,
    });
    this.codesVerified = new Counter({
      name: 'sms_auth_codes_verified_total',
      help: 'Codes verified successfully (logins), by the provider that sent the code.',
      labelNames: ['provider'],
      registers,
    });
    this.sendFailures = new Counter({
      name: 'sms_auth_code_send_failures_total',
      help: 'Send attempts a provider failed, by our error code or the vendor code.',
      labelNames: ['provider', 'error_code'],
      registers,
    });
    // Per channel beside the per-provider series (whose names and labels dashboards already use).
    this.channelCodesSent = new Counter({
      name: 'sms_auth_channel_codes_sent_total',
      help: 'Codes handed over, by the channel of the link that accepted them (sms, telegram, whatsapp).',
      labelNames: ['channel'],
      registers,
    });
    this.channelSendFailures = new Counter({
      name: 'sms_auth_channel_send_failures_total',
      help: 'Send attempts a provider failed, by the channel of that provider.',
      labelNames: ['channel'],
      registers,
    });
    this.verifyFailures = new Counter({
      name: 'sms_auth_verify_failures_total',
      help: 'Refused verify-code requests, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.providerDuration = new Histogram({
      name: 'sms_auth_provider_request_duration_seconds',
      help: 'Duration of the calls to SMS vendors, by operation and outcome.',
      labelNames: ['provider', 'operation', 'outcome'],
      buckets: PROVIDER_DURATION_BUCKETS,
      registers,
    });
    this.providerErrors = new Counter({
      name: 'sms_auth_provider_errors_total',
      help: 'Failed calls to SMS vendors, by kind (rejected or unavailable).',
      labelNames: ['provider', 'kind'],
      registers,
    });
    this.vendorHttpDuration = new Histogram({
      name: 'sms_auth_vendor_http_request_duration_seconds',
      help:
        'Duration of each HTTP request to an SMS vendor (a send may make several, e.g. a login), by how it ended: ' +
        'reply, server_error (5xx), timeout or connection_failed.',
      labelNames: ['provider', 'outcome'],
      buckets: PROVIDER_DURATION_BUCKETS,
      registers,
    });
    this.sendRecordRetries = new Counter({
      name: 'sms_auth_send_record_retries_total',
      help: 'Retries of send records (delivery rows, code state, audit) the database did not take at once, by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    this.sendRecordsPending = new Gauge({
      name: 'sms_auth_send_records_pending',
      help: 'Send records waiting for the database to take writes again.',
      registers,
    });
    this.deliveryFailovers = new Counter({
      name: 'sms_auth_delivery_failovers_total',
      help: 'Codes sent again through the next link of a chain: the previous one did not report delivery in time.',
      labelNames: ['from', 'to'],
      registers,
    });
    this.retentionRemovedRows = new Counter({
      name: 'sms_auth_retention_removed_rows_total',
      help: 'Rows data retention removed, by table (audit_events: the rows of the monthly partitions dropped).',
      labelNames: ['table'],
      registers,
    });
    for (const outcome of SEND_RECORD_RETRY_OUTCOMES) this.sendRecordRetries.inc({ outcome }, 0);
    // Every reason is shown from the start (at 0), so that rates over it are defined before the first failure.
    for (const reason of VERIFY_FAILURE_REASONS) this.verifyFailures.inc({ reason }, 0);
    for (const channel of CHANNEL_LABELS) {
      this.channelCodesSent.inc({ channel }, 0);
      this.channelSendFailures.inc({ channel }, 0);
    }
  }

  /** A provider (or the test-number short cut, 'test_number', channel sms) took a code. */
  codeSent(provider: string, channel: string): void {
    this.codesSent.inc({ provider: boundedLabel(provider) });
    this.channelCodesSent.inc({ channel: channelLabel(channel) });
  }

  /** A code was verified; `provider` is the one that sent it, when known. */
  codeVerified(provider: string | null): void {
    this.codesVerified.inc({ provider: boundedLabel(provider) });
  }

  /** A provider failed a send: `errorCode` is our stable ErrorCode or the vendor's code. */
  codeSendFailed(provider: string, errorCode: string | null, channel: string): void {
    this.sendFailures.inc({ provider: boundedLabel(provider), error_code: boundedLabel(errorCode) });
    this.channelSendFailures.inc({ channel: channelLabel(channel) });
  }

  /** A verify-code was refused; `reason` outside VERIFY_FAILURE_REASONS counts as 'other'. */
  verifyFailed(reason: string): void {
    this.verifyFailures.inc({ reason: verifyFailureReason(reason) });
  }

  /** One retry of a deferred send record, by outcome. */
  sendRecordRetried(outcome: SendRecordRetryOutcome): void {
    this.sendRecordRetries.inc({ outcome });
  }

  /** How many send records are waiting for the database. */
  sendRecordsWaiting(count: number): void {
    this.sendRecordsPending.set(count);
  }

  /** A code went out again through `to` because `from` did not report delivery within its timeout. */
  deliveryFailover(from: string, to: string): void {
    this.deliveryFailovers.inc({ from: boundedLabel(from), to: boundedLabel(to) });
  }

  /** One HTTP request to a vendor, as the shared vendor HTTP client saw it end. */
  vendorHttpCall(provider: string, outcome: string, seconds: number): void {
    this.vendorHttpDuration.observe({ provider: boundedLabel(provider), outcome: boundedLabel(outcome) }, seconds);
  }

  /** One call to a vendor, timed; a failed one also counts as a provider error of its kind. */
  providerCall(provider: string, operation: ProviderOperation, outcome: ProviderOutcome, seconds: number): void {
    const labels = {
      provider: boundedLabel(provider),
      operation: OPERATIONS.includes(operation) ? operation : OTHER_LABEL,
      outcome: OUTCOMES.includes(outcome) ? outcome : OTHER_LABEL,
    };
    this.providerDuration.observe(labels, Math.max(0, seconds));
    if (labels.outcome !== 'ok') this.providerErrors.inc({ provider: labels.provider, kind: labels.outcome });
  }

  /** Data retention removed `rows` rows of `table` (a table name of the retention's fixed set). */
  retentionRemoved(table: string, rows: number): void {
    if (rows > 0) this.retentionRemovedRows.inc({ table: boundedLabel(table) }, rows);
  }

  countFraudDecision(decision: {
    rule: string | null;
    action: 'allowed' | 'blocked';
    mode: 'record' | 'enforce';
  }): void {
    this.fraudDecisions.inc({
      rule: boundedLabel(decision.rule ?? 'none'),
      action: decision.action,
      mode: decision.mode,
    });
  }
}
