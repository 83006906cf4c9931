import { expectError, login } from '../support/http-helpers';
import { createTestApp, nextPhone, type TestApp } from '../support/test-app';
import { ADMIN_API_KEY, adminGet, AUDIT, type Query, STATS, VERIFICATIONS } from './admin-helpers';

const ENDPOINTS = [STATS, VERIFICATIONS, AUDIT];

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const SOME_UUID = '3f1c2a4e-8b7d-4c6e-9a1b-2d3e4f5a6b7c';

describe('admin API: access and query validation', () => {
  let t: TestApp;
  /** The same service with ADMIN_API_KEY unset (empty). */
  let keyless: TestApp;
  let accessToken: string;

  beforeAll(async () => {
    t = await createTestApp({ env: { ADMIN_API_KEY } });
    keyless = await createTestApp({ env: { ADMIN_API_KEY: '' } });
    accessToken = (await login(t, nextPhone())).access_token;
  });
  afterAll(async () => {
    await keyless?.close();
    await t?.close();
  });

  describe('401 UNAUTHORIZED', () => {
    it.each(ENDPOINTS)('%s: no Authorization header', async (path) => {
      expectError(await t.http.get(path), 401, 'UNAUTHORIZED');
    });

    it.each(ENDPOINTS)('%s: a wrong key (same length, one character off, a prefix, longer)', async (path) => {
      const wrong = [
        `${ADMIN_API_KEY.slice(0, -1)}${ADMIN_API_KEY.endsWith('j') ? 'k' : 'j'}`,
        ADMIN_API_KEY.slice(0, -1),
        `${ADMIN_API_KEY}x`,
        'admin-key-9999999999-zzzzzzzzzz',
      ];
      for (const key of wrong) expectError(await adminGet(t, path, {}, key), 401, 'UNAUTHORIZED');
    });

    it.each(ENDPOINTS)('%s: the key under another scheme, or with no scheme', async (path) => {
      for (const header of [`Basic ${ADMIN_API_KEY}`, ADMIN_API_KEY, `Token ${ADMIN_API_KEY}`, 'Bearer', 'Bearer ']) {
        expectError(await t.http.get(path).set('Authorization', header), 401, 'UNAUTHORIZED');
      }
    });

    it.each(ENDPOINTS)("%s: a user's access token", async (path) => {
      expectError(await adminGet(t, path, {}, accessToken), 401, 'UNAUTHORIZED');
    });

    it.each(ENDPOINTS)('%s: a service without ADMIN_API_KEY refuses everyone, even an empty bearer', async (path) => {
      expectError(await keyless.http.get(path), 401, 'UNAUTHORIZED');
      for (const header of ['Bearer ', 'Bearer', `Bearer ${ADMIN_API_KEY}`, 'Bearer undefined', 'Bearer null']) {
        expectError(await keyless.http.get(path).set('Authorization', header), 401, 'UNAUTHORIZED');
      }
    });

    it.each(ENDPOINTS)(
      '%s: the key is checked before the query (an invalid query without a key is 401)',
      async (path) => {
        expectError(await t.http.get(path).query({ limit: 0, group_by: 'week', bogus: '1' }), 401, 'UNAUTHORIZED');
      },
    );

    it.each(ENDPOINTS)('%s: the right key is let in', async (path) => {
      const res = await adminGet(t, path).expect(200);
      expect(res.body.success).toBe(true);
    });
  });

  describe('400 VALIDATION_FAILED', () => {
    const invalid: [string, string, Query][] = [
      // stats
      [STATS, 'group_by=week', { group_by: 'week' }],
      [STATS, 'from=yesterday (not ISO 8601)', { from: 'yesterday' }],
      [STATS, 'to=tomorrow (not ISO 8601)', { to: 'tomorrow' }],
      [STATS, 'from after to', { from: '2024-02-01T00:00:00Z', to: '2024-01-01T00:00:00Z' }],
      [STATS, 'from equal to to (an empty range)', { from: '2024-01-01T00:00:00Z', to: '2024-01-01T00:00:00Z' }],
      [STATS, 'a range over 366 days', { from: '2022-01-01T00:00:00Z', to: '2024-01-01T00:00:00Z' }],
      [STATS, 'an impossible date', { from: '2024-02-30T00:00:00Z' }],
      [STATS, 'an unknown parameter', { foo: 'bar' }],
      [STATS, 'limit (not a stats parameter)', { limit: 10 }],
      // verifications
      [VERIFICATIONS, 'limit=0', { limit: 0 }],
      [VERIFICATIONS, 'limit=201', { limit: 201 }],
      [VERIFICATIONS, 'limit=abc', { limit: 'abc' }],
      [VERIFICATIONS, 'limit=1.5', { limit: '1.5' }],
      [VERIFICATIONS, 'limit=-3', { limit: -3 }],
      [VERIFICATIONS, 'cursor=garbage!!', { cursor: 'garbage!!' }],
      [VERIFICATIONS, 'cursor: base64url, not JSON', { cursor: b64('hello world') }],
      [
        VERIFICATIONS,
        'cursor: base64url JSON object',
        { cursor: b64({ created_at: '2024-01-01T00:00:00Z', id: SOME_UUID }) },
      ],
      [VERIFICATIONS, 'cursor: an audit cursor', { cursor: b64(['42']) }],
      [VERIFICATIONS, 'cursor: three parts', { cursor: b64(['2024-01-01T00:00:00.000000Z', SOME_UUID, 'x']) }],
      [VERIFICATIONS, 'cursor: not a uuid', { cursor: b64(['2024-01-01T00:00:00.000000Z', 'not-a-uuid']) }],
      [VERIFICATIONS, 'cursor: not a timestamp', { cursor: b64(['yesterday', SOME_UUID]) }],
      [VERIFICATIONS, 'cursor: numbers instead of strings', { cursor: b64([1704067200000, 7]) }],
      [
        VERIFICATIONS,
        'cursor: a timestamp-shaped impossible time',
        { cursor: b64(['2024-13-45T25:61:61Z', SOME_UUID]) },
      ],
      [VERIFICATIONS, 'cursor longer than 200 characters', { cursor: 'A'.repeat(201) }],
      [VERIFICATIONS, 'status=bogus', { status: 'bogus' }],
      [VERIFICATIONS, 'provider=bogus', { provider: 'bogus' }],
      [VERIFICATIONS, 'from=yesterday', { from: 'yesterday' }],
      [VERIFICATIONS, 'from after to', { from: '2024-02-01T00:00:00Z', to: '2024-01-01T00:00:00Z' }],
      [VERIFICATIONS, 'a phone longer than 32 characters', { phone: '+7 701 000 00 00 +7 701 000 00 00 +7' }],
      [VERIFICATIONS, 'user_id (not a verifications parameter)', { user_id: SOME_UUID }],
      [VERIFICATIONS, 'an unknown parameter', { sort: 'asc' }],
      // audit
      [AUDIT, 'limit=0', { limit: 0 }],
      [AUDIT, 'limit=201', { limit: 201 }],
      [AUDIT, 'limit=abc', { limit: 'abc' }],
      [AUDIT, 'cursor=garbage!!', { cursor: 'garbage!!' }],
      [AUDIT, 'cursor: base64url, not JSON', { cursor: b64('not json') }],
      [AUDIT, 'cursor: a verifications cursor', { cursor: b64(['2024-01-01T00:00:00.000000Z', SOME_UUID]) }],
      [AUDIT, 'cursor: not a number', { cursor: b64(['abc']) }],
      [AUDIT, 'cursor: negative', { cursor: b64(['-1']) }],
      [AUDIT, 'cursor: beyond bigint', { cursor: b64(['9999999999999999999']) }],
      [AUDIT, 'user_id=not-a-uuid', { user_id: 'not-a-uuid' }],
      [AUDIT, 'type=bogus', { type: 'bogus' }],
      [AUDIT, 'from=yesterday', { from: 'yesterday' }],
      [AUDIT, 'from after to', { from: '2024-02-01T00:00:00Z', to: '2024-01-01T00:00:00Z' }],
      [AUDIT, 'status (not an audit parameter)', { status: 'approved' }],
      [AUDIT, 'an unknown parameter', { foo: 'bar' }],
    ];

    it.each(invalid)('%s: %s', async (path, _name, query) => {
      const error = expectError(await adminGet(t, path, query), 400, 'VALIDATION_FAILED');
      expect(error.fields).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: expect.any(String), messages: expect.any(Array) })]),
      );
    });

    it.each([VERIFICATIONS, AUDIT])('%s: a parameter given twice', async (path) => {
      expectError(
        await t.http.get(`${path}?limit=5&limit=6`).set('Authorization', `Bearer ${ADMIN_API_KEY}`),
        400,
        'VALIDATION_FAILED',
      );
    });

    it.each(ENDPOINTS)('%s: the unknown parameter is named in the error', async (path) => {
      const error = expectError(await adminGet(t, path, { colour: 'blue' }), 400, 'VALIDATION_FAILED');
      expect(error.fields).toEqual([expect.objectContaining({ field: 'colour' })]);
    });
  });

  describe('400 INVALID_PHONE', () => {
    it.each([VERIFICATIONS, AUDIT])('%s: phone=garbage', async (path) => {
      expectError(await adminGet(t, path, { phone: 'garbage' }), 400, 'INVALID_PHONE');
      expectError(await adminGet(t, path, { phone: '12345' }), 400, 'INVALID_PHONE');
    });
  });

  describe('what is valid is accepted', () => {
    it.each([
      [STATS, { from: '2024-01-01', to: '2024-01-08' }],
      [STATS, { from: '2024-01-01T05:00:00+05:00', to: '2024-01-08T00:00:00.123Z', group_by: 'provider' }],
      [VERIFICATIONS, { limit: 1 }],
      [VERIFICATIONS, { limit: 200, status: 'max_attempts_reached', provider: 'test_number' }],
      [AUDIT, { limit: 200, type: 'code_verified', user_id: SOME_UUID.toUpperCase() }],
    ] as [string, Query][])('%s %j', async (path, query) => {
      const res = await adminGet(t, path, query);
      expect(res.status).toBe(200);
      expect(res.body.success).toBe(true);
    });

    it('stats echoes an offset time in UTC', async () => {
      const res = await adminGet(t, STATS, { from: '2024-01-01T05:00:00+05:00', to: '2024-01-02T00:00:00Z' }).expect(
        200,
      );
      expect(res.body).toMatchObject({ from: '2024-01-01T00:00:00.000Z', to: '2024-01-02T00:00:00.000Z' });
    });
  });
});
