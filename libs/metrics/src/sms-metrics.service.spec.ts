import { Registry } from 'prom-client';
import {
  boundedLabel,
  MAX_LABEL_LENGTH,
  SmsMetrics,
  VERIFY_FAILURE_REASONS,
  verifyFailureReason,
} from './sms-metrics.service';

type Sample = { labels: Record<string, string | number>; value: number; metricName?: string };

async function samples(registry: Registry, name: string): Promise<Sample[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`${name} is not registered`);
  return (await metric.get()).values as Sample[];
}

async function valueOf(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const found = (await samples(registry, name)).find((sample) =>
    Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  return found?.value;
}

function createSut() {
  const registry = new Registry();
  return { registry, sut: new SmsMetrics(registry) };
}

describe(SmsMetrics.name, () => {
  it('registers its metrics in the registry it is given, not in the default one', () => {
    const { registry } = createSut();
    expect(
      registry
        .getMetricsAsArray()
        .map((metric) => metric.name)
        .sort(),
    ).toEqual([
      'fraud_decisions_total',
      'sms_auth_channel_codes_sent_total',
      'sms_auth_channel_send_failures_total',
      'sms_auth_code_send_failures_total',
      'sms_auth_codes_sent_total',
      'sms_auth_codes_verified_total',
      'sms_auth_delivery_failovers_total',
      'sms_auth_provider_errors_total',
      'sms_auth_provider_request_duration_seconds',
      'sms_auth_retention_removed_rows_total',
      'sms_auth_send_record_retries_total',
      'sms_auth_send_records_pending',
      'sms_auth_vendor_http_request_duration_seconds',
      'sms_auth_verify_failures_total',
    ]);
  });

  it('counts fraud guard decisions by rule (none when allowed), action and mode', async () => {
    const { sut, registry } = createSut();
    sut.countFraudDecision({ rule: null, action: 'allowed', mode: 'enforce' });
    sut.countFraudDecision({ rule: 'prefix_velocity', action: 'blocked', mode: 'record' });
    sut.countFraudDecision({ rule: 'prefix_velocity', action: 'blocked', mode: 'record' });
    expect(await valueOf(registry, 'fraud_decisions_total', { rule: 'none', action: 'allowed', mode: 'enforce' })).toBe(
      1,
    );
    expect(
      await valueOf(registry, 'fraud_decisions_total', { rule: 'prefix_velocity', action: 'blocked', mode: 'record' }),
    ).toBe(2);
  });

  it('counts the rows data retention removed, by table', async () => {
    const { sut, registry } = createSut();
    sut.retentionRemoved('sms_verifications', 1000);
    sut.retentionRemoved('sms_verifications', 20);
    sut.retentionRemoved('audit_events', 0);
    expect(await valueOf(registry, 'sms_auth_retention_removed_rows_total', { table: 'sms_verifications' })).toBe(1020);
    expect(await valueOf(registry, 'sms_auth_retention_removed_rows_total', { table: 'audit_events' })).toBeUndefined();
  });

  it('keeps two instances apart (one per app)', async () => {
    const first = createSut();
    const second = createSut();
    first.sut.codeSent('console', 'sms');
    expect(await valueOf(first.registry, 'sms_auth_codes_sent_total', { provider: 'console' })).toBe(1);
    expect(await valueOf(second.registry, 'sms_auth_codes_sent_total', { provider: 'console' })).toBeUndefined();
  });

  it('counts codes sent and verified by provider; an unknown provider is "unknown"', async () => {
    const { sut, registry } = createSut();
    sut.codeSent('mobizon', 'sms');
    sut.codeSent('mobizon', 'sms');
    sut.codeSent('test_number', 'sms');
    sut.codeVerified('mobizon');
    sut.codeVerified(null);
    expect(await valueOf(registry, 'sms_auth_codes_sent_total', { provider: 'mobizon' })).toBe(2);
    expect(await valueOf(registry, 'sms_auth_codes_sent_total', { provider: 'test_number' })).toBe(1);
    expect(await valueOf(registry, 'sms_auth_codes_verified_total', { provider: 'mobizon' })).toBe(1);
    expect(await valueOf(registry, 'sms_auth_codes_verified_total', { provider: 'unknown' })).toBe(1);
  });

  it('counts codes sent and send failures by channel, every channel shown at 0 from the start', async () => {
    const { sut, registry } = createSut();
    const sentByChannel = async () =>
      (await samples(registry, 'sms_auth_channel_codes_sent_total')).map((sample) => [
        sample.labels.channel,
        sample.value,
      ]);
    expect(await sentByChannel()).toEqual([
      ['sms', 0],
      ['telegram', 0],
      ['whatsapp', 0],
    ]);

    sut.codeSent('mobizon', 'sms');
    sut.codeSent('telegram', 'telegram');
    sut.codeSent('telegram', 'telegram');
    sut.codeSent('mystery', 'pigeon');
    sut.codeSendFailed('whatsapp', '131026', 'whatsapp');

    expect(await sentByChannel()).toEqual([
      ['sms', 1],
      ['telegram', 2],
      ['whatsapp', 0],
      ['other', 1],
    ]);
    expect(await valueOf(registry, 'sms_auth_channel_send_failures_total', { channel: 'whatsapp' })).toBe(1);
    expect(await valueOf(registry, 'sms_auth_channel_send_failures_total', { channel: 'sms' })).toBe(0);
    // The per-provider series keep their one label.
    expect(await valueOf(registry, 'sms_auth_codes_sent_total', { provider: 'telegram' })).toBe(2);
    expect(
      (await samples(registry, 'sms_auth_codes_sent_total')).every((sample) => !('channel' in sample.labels)),
    ).toBe(true);
  });

  it('truncates a vendor error code to 32 characters', async () => {
    const { sut, registry } = createSut();
    const long = 'E'.repeat(200);
    sut.codeSendFailed('twilio', long, 'sms');
    sut.codeSendFailed('twilio', '21211', 'sms');
    sut.codeSendFailed('twilio', null, 'sms');
    const errorCodes = (await samples(registry, 'sms_auth_code_send_failures_total')).map(
      (sample) => sample.labels.error_code,
    );
    expect(errorCodes).toEqual(['E'.repeat(MAX_LABEL_LENGTH), '21211', 'unknown']);
  });

  it('counts verify failures under a fixed set of reasons, shown at 0 from the start', async () => {
    const { sut, registry } = createSut();
    expect(
      (await samples(registry, 'sms_auth_verify_failures_total')).map((sample) => [sample.labels.reason, sample.value]),
    ).toEqual(VERIFY_FAILURE_REASONS.map((reason) => [reason, 0]));

    sut.verifyFailed('code_invalid');
    sut.verifyFailed('CODE_INVALID');
    sut.verifyFailed('phone_locked');
    sut.verifyFailed('something the caller made up');
    sut.verifyFailed('x'.repeat(1000));

    expect(await valueOf(registry, 'sms_auth_verify_failures_total', { reason: 'code_invalid' })).toBe(2);
    expect(await valueOf(registry, 'sms_auth_verify_failures_total', { reason: 'phone_locked' })).toBe(1);
    expect(await valueOf(registry, 'sms_auth_verify_failures_total', { reason: 'other' })).toBe(2);
    expect(
      (await samples(registry, 'sms_auth_verify_failures_total')).map((sample) => sample.labels.reason).sort(),
    ).toEqual([...VERIFY_FAILURE_REASONS, 'other'].sort());
  });

  it('times provider calls in a histogram and counts the failed ones as provider errors by kind', async () => {
    const { sut, registry } = createSut();
    sut.providerCall('eskiz', 'send', 'ok', 0.2);
    sut.providerCall('eskiz', 'send', 'unavailable', 5.5);
    sut.providerCall('eskiz', 'balance', 'rejected', 0.01);
    sut.providerCall('eskiz', 'status', 'ok', 0.03);

    const histogram = await samples(registry, 'sms_auth_provider_request_duration_seconds');
    const count = (labels: Record<string, string>) =>
      histogram.find(
        (sample) =>
          sample.metricName === 'sms_auth_provider_request_duration_seconds_count' &&
          Object.entries(labels).every(([k, v]) => sample.labels[k] === v),
      )?.value;
    expect(count({ provider: 'eskiz', operation: 'send', outcome: 'ok' })).toBe(1);
    expect(count({ provider: 'eskiz', operation: 'send', outcome: 'unavailable' })).toBe(1);
    expect(count({ provider: 'eskiz', operation: 'balance', outcome: 'rejected' })).toBe(1);
    expect(count({ provider: 'eskiz', operation: 'status', outcome: 'ok' })).toBe(1);
    const buckets = histogram
      .filter((sample) => sample.metricName?.endsWith('_bucket'))
      .map((sample) => sample.labels.le);
    expect(buckets).toEqual(expect.arrayContaining([0.05, 10, '+Inf']));

    expect(await valueOf(registry, 'sms_auth_provider_errors_total', { provider: 'eskiz', kind: 'unavailable' })).toBe(
      1,
    );
    expect(await valueOf(registry, 'sms_auth_provider_errors_total', { provider: 'eskiz', kind: 'rejected' })).toBe(1);
    expect(
      (await samples(registry, 'sms_auth_provider_errors_total')).map((sample) => sample.labels.kind).sort(),
    ).toEqual(['rejected', 'unavailable']);
  });

  it('bounds the operation and outcome labels even when the types are bypassed', async () => {
    const { sut, registry } = createSut();
    sut.providerCall('eskiz', 'whatever' as never, 'weird' as never, 1);
    const labels = (await samples(registry, 'sms_auth_provider_request_duration_seconds')).map((sample) => [
      sample.labels.operation,
      sample.labels.outcome,
    ]);
    expect(new Set(labels.map((pair) => pair.join('/')))).toEqual(new Set(['other/other']));
  });
});

describe(boundedLabel.name, () => {
  it.each([
    ['console', 'console'],
    ['  padded  ', 'padded'],
    ['', 'unknown'],
    [null, 'unknown'],
    [undefined, 'unknown'],
    ['a'.repeat(33), 'a'.repeat(32)],
  ])('%p → %p', (input, expected) => {
    expect(boundedLabel(input)).toBe(expected);
  });
});

describe(verifyFailureReason.name, () => {
  it('keeps the known reasons and folds the rest into "other"', () => {
    for (const reason of VERIFY_FAILURE_REASONS) expect(verifyFailureReason(reason.toUpperCase())).toBe(reason);
    expect(verifyFailureReason('sms_provider_unavailable')).toBe('other');
  });
});
