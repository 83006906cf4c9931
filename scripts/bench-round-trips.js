#!/usr/bin/env node
/**
 * npm run bench:round-trips — what one request costs in Postgres round trips, statements and commits.
 *
 * Puts a counting TCP proxy in front of Postgres (DATABASE_URL's host and port, or 127.0.0.1:5432), starts
 * the built service (BENCH_MAIN_JS, as `npm run bench` does) on a scratch database through that proxy with
 * a pool of BENCH_POOL_SIZE (2), and once it is ready sends, strictly one at a time: COUNT (20) send-code to
 * new numbers, verify-code of those codes, refresh of the tokens they issued, and verify-code with a wrong
 * code (of COUNT codes sent beforehand, not counted). Each request's figures are the proxy's counts taken
 * around it alone: before it, and after its response once the Postgres connections have been quiet for
 * QUIET_MS (50) ms, so a write the service finishes after answering (a send's delivery record) is counted
 * with its request, and nothing else (boot, readiness probes, background pollers) is in flight meanwhile.
 *
 * The proxy reads the frontend messages (1 type byte + int32 length, after the startup packet; an SSLRequest
 * is answered 'N'): round trips = Sync ('S') + simple Query ('Q'); statements = Execute ('E') + Query;
 * BEGIN / COMMIT as statements of a Query or of the Parse ('P') an Execute runs; and, from the server's
 * ReadyForQuery ('Z'), transactions = replies that find the connection idle: every transaction that ended,
 * implicit (a statement outside BEGIN) or not, read-only ones and rollbacks included.
 *
 *   npm run bench:round-trips
 *   BENCH_MAIN_JS=/tmp/old/dist/apps/api/src/main.js node scripts/bench-round-trips.js   (an older build)
 */
const { mkdirSync, writeFileSync } = require('node:fs');
const net = require('node:net');
const { join } = require('node:path');
const { ADMIN_URL, MAIN_JS, adminQuery, dbUrl, freePort, median, startSmsAuth, stop } = require('./bench-lib');

const COUNT = Number(process.env.COUNT ?? 20);
const QUIET_MS = Number(process.env.QUIET_MS ?? 50);
const POOL_SIZE = Number(process.env.BENCH_POOL_SIZE ?? 2);
const LABEL = process.env.LABEL ?? 'run';
const DATABASE = process.env.BENCH_DATABASE ?? 'sms_auth_round_trips';
// Numbers of their own: not those of `npm run bench` (+7701, +7702) nor of its seed.
const PHONE_PREFIX = '+7705';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const COUNTERS = ['round_trips', 'statements', 'begins', 'commits', 'rollbacks', 'transactions'];

/** BEGIN / COMMIT / ROLLBACK among the statements of a query text. */
function transactionControl(text) {
  const found = { begins: 0, commits: 0, rollbacks: 0 };
  for (const part of text.split(';')) {
    const statement = part.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)+/, '');
    if (/^(BEGIN|START\s+TRANSACTION)\b/i.test(statement)) found.begins += 1;
    else if (/^(COMMIT|END)\b(?!\s+PREPARED)/i.test(statement)) found.commits += 1;
    else if (/^(ROLLBACK|ABORT)\b(?!\s+(TO|PREPARED)\b)/i.test(statement)) found.rollbacks += 1;
  }
  return found;
}

/** The NUL-terminated string at `offset` of `buffer`, and the offset after it. */
function cstring(buffer, offset) {
  const end = buffer.indexOf(0, offset);
  return [buffer.toString('utf8', offset, end), end + 1];
}

/** The counting proxy: one upstream connection per client connection, bytes passed on unchanged. */
class CountingProxy {
  constructor(upstream) {
    this.upstream = upstream;
    this.connections = [];
    this.lastActivity = Date.now();
    this.server = net.createServer((client) => this.accept(client));
  }

  listen() {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve(this.server.address().port)));
  }

  close() {
    for (const connection of this.connections) connection.sockets.forEach((socket) => socket.destroy());
    return new Promise((resolve) => this.server.close(resolve));
  }

  /** The sums over every connection so far, with how many there were. */
  totals() {
    const totals = Object.fromEntries(COUNTERS.map((name) => [name, 0]));
    for (const { counts } of this.connections) for (const name of COUNTERS) totals[name] += counts[name];
    totals.connections = this.connections.length;
    return totals;
  }

  /** Syncs and Queries that have not had their ReadyForQuery yet. */
  inFlight() {
    return this.connections.reduce((sum, connection) => sum + connection.awaitingReady, 0);
  }

  /** Resolves once no reply is awaited and no byte has passed for QUIET_MS. */
  async quiet(timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight() > 0 || Date.now() - this.lastActivity < QUIET_MS) {
      if (Date.now() > deadline) throw new Error(`Postgres traffic did not stop within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  accept(client) {
    const server = net.connect(this.upstream);
    const connection = {
      counts: Object.fromEntries(COUNTERS.map((name) => [name, 0])),
      sockets: [client, server],
      awaitingReady: 0,
      statements: new Map(), // prepared statement name → its text
      portals: new Map(), // portal name → the text of its statement
    };
    this.connections.push(connection);
    let fromClient = Buffer.alloc(0);
    let startup = true;
    let fromServer = Buffer.alloc(0);
    client.on('data', (chunk) => {
      this.lastActivity = Date.now();
      fromClient = Buffer.concat([fromClient, chunk]);
      // The startup packet (and an SSLRequest before it) have no type byte: int32 length, int32 code.
      while (startup && fromClient.length >= 8) {
        const length = fromClient.readInt32BE(0);
        if (fromClient.length < length) return;
        const code = fromClient.readInt32BE(4);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          client.write('N'); // no encryption: the proxy must read the messages
        } else {
          server.write(fromClient.subarray(0, length));
          startup = false;
        }
        fromClient = fromClient.subarray(length);
      }
      if (startup) return;
      // Frontend messages: 1 type byte, int32 length (itself included), the body.
      let offset = 0;
      while (fromClient.length - offset >= 5) {
        const length = fromClient.readInt32BE(offset + 1);
        if (fromClient.length - offset < 1 + length) break;
        this.count(connection, fromClient[offset], fromClient.subarray(offset + 5, offset + 1 + length));
        offset += 1 + length;
      }
      server.write(fromClient.subarray(0, offset));
      fromClient = fromClient.subarray(offset);
    });
    server.on('data', (chunk) => {
      this.lastActivity = Date.now();
      client.write(chunk);
      fromServer = Buffer.concat([fromServer, chunk]);
      let offset = 0;
      while (fromServer.length - offset >= 5) {
        const length = fromServer.readInt32BE(offset + 1);
        if (fromServer.length - offset < 1 + length) break;
        // ReadyForQuery: its status byte is 'I' when no transaction block is open (the previous one ended).
        if (fromServer[offset] === 0x5a && connection.awaitingReady > 0) {
          connection.awaitingReady -= 1;
          if (fromServer[offset + 5] === 0x49) connection.counts.transactions += 1;
        }
        offset += 1 + length;
      }
      fromServer = fromServer.subarray(offset);
    });
    const end = () => {
      connection.awaitingReady = 0;
      client.destroy();
      server.destroy();
    };
    for (const socket of connection.sockets) {
      socket.on('error', end);
      socket.on('close', end);
    }
  }

  count(connection, type, body) {
    const { counts } = connection;
    const control = (text) => {
      const found = transactionControl(text);
      for (const name of ['begins', 'commits', 'rollbacks']) counts[name] += found[name];
    };
    switch (String.fromCharCode(type)) {
      case 'Q': {
        counts.round_trips += 1;
        counts.statements += 1;
        connection.awaitingReady += 1;
        control(cstring(body, 0)[0]);
        break;
      }
      case 'P': {
        const [name, offset] = cstring(body, 0);
        connection.statements.set(name, cstring(body, offset)[0]);
        break;
      }
      case 'B': {
        const [portal, offset] = cstring(body, 0);
        connection.portals.set(portal, connection.statements.get(cstring(body, offset)[0]) ?? '');
        break;
      }
      case 'E': {
        counts.statements += 1;
        control(connection.portals.get(cstring(body, 0)[0]) ?? '');
        break;
      }
      case 'S': {
        counts.round_trips += 1;
        connection.awaitingReady += 1;
        break;
      }
      case 'C': {
        // Close of a statement ('S') or portal ('P').
        const [name] = cstring(body, 1);
        (body[0] === 0x53 ? connection.statements : connection.portals).delete(name);
        break;
      }
      default:
    }
  }
}

async function post(base, path, body) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

/** A code that is not `code`: the same length, its last digit changed. */
function wrongCode(code) {
  const last = Number(code.at(-1));
  return `${code.slice(0, -1)}${(last + 1) % 10}`;
}

function spread(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0], median: median(sorted), max: sorted.at(-1) };
}

async function main() {
  const admin = new URL(ADMIN_URL);
  const upstream = { host: admin.hostname || '127.0.0.1', port: Number(admin.port || 5432) };
  const proxy = new CountingProxy(upstream);
  const proxyPort = await proxy.listen();
  const port = Number(process.env.BENCH_PORT ?? (await freePort()));
  const base = `http://127.0.0.1:${port}`;
  const viaProxy = Object.assign(new URL(dbUrl(DATABASE)), { hostname: '127.0.0.1', port: String(proxyPort) });

  await adminQuery(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${DATABASE}`);
  let server;
  try {
    server = await startSmsAuth({ port, databaseUrl: viaProxy.toString(), poolSize: POOL_SIZE });
    await proxy.quiet();
    const boot = proxy.totals();

    /** `request` alone, with the proxy's counts around it (from quiet to quiet). */
    const measure = async (request) => {
      await proxy.quiet();
      const before = proxy.totals();
      const response = await request();
      await proxy.quiet();
      const after = proxy.totals();
      const delta = Object.fromEntries([...COUNTERS, 'connections'].map((name) => [name, after[name] - before[name]]));
      return { status: response.status, body: response.body, delta };
    };
    const steps = [];
    const step = async (name, expected, requests) => {
      const samples = [];
      for (const request of requests) samples.push(await measure(request));
      const unexpected = samples.filter((sample) => !expected.includes(sample.status)).map((sample) => sample.status);
      steps.push({
        step: name,
        requests: samples.length,
        unexpected_statuses: unexpected,
        ...Object.fromEntries(COUNTERS.map((key) => [key, spread(samples.map((sample) => sample.delta[key]))])),
        new_connections: samples.reduce((sum, sample) => sum + sample.delta.connections, 0),
        per_request: samples.map((sample) => ({ status: sample.status, ...sample.delta })),
      });
      return samples;
    };
    const phone = (i) => `${PHONE_PREFIX}${String(i).padStart(7, '0')}`;
    const sendTo = (number) => () => post(base, '/api/v1/sms-auth/send-code', { phone_number: number });

    const sent = await step(
      'send-code',
      [200],
      Array.from({ length: COUNT }, (_, i) => sendTo(phone(i + 1))),
    );
    const codes = sent.map((sample) => sample.body).filter((body) => body?.debug_code);
    const verified = await step(
      'verify-code (right code)',
      [200],
      codes.map(
        (body) => () =>
          post(base, '/api/v1/sms-auth/verify-code', { phone_number: body.phone_number, code: body.debug_code }),
      ),
    );
    await step(
      'refresh',
      [200],
      verified
        .map((sample) => sample.body?.refresh_token)
        .filter(Boolean)
        .map((token) => () => post(base, '/api/v1/auth/refresh', { refresh_token: token })),
    );
    // Fresh codes for the wrong-code step, not counted (but each awaited to quiet like the others).
    const fresh = [];
    for (let i = 0; i < COUNT; i++) fresh.push((await measure(sendTo(phone(COUNT + i + 1)))).body);
    await step(
      'verify-code (wrong code)',
      [400],
      fresh
        .filter((body) => body?.debug_code)
        .map(
          (body) => () =>
            post(base, '/api/v1/sms-auth/verify-code', {
              phone_number: body.phone_number,
              code: wrongCode(body.debug_code),
            }),
        ),
    );

    const report = {
      label: LABEL,
      at: new Date().toISOString(),
      main_js: MAIN_JS,
      pool_size: POOL_SIZE,
      quiet_ms: QUIET_MS,
      upstream,
      boot_and_readiness_excluded: boot,
      steps,
    };
    print(report);
    mkdirSync(join(__dirname, '../bench-results'), { recursive: true });
    const file = join(__dirname, `../bench-results/round-trips-${LABEL}-${report.at.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(report, null, 2));
    console.log(`\nwritten: ${file}`);
    if (steps.some((entry) => entry.unexpected_statuses.length > 0 || entry.requests < COUNT)) process.exitCode = 1;
  } finally {
    if (server) await stop(server);
    await proxy.close();
    await adminQuery(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  }
}

function print(report) {
  const cell = ({ min, median: middle, max }) => (min === max ? String(min) : `${min} / ${middle} / ${max}`);
  console.log(
    `\nPostgres traffic per request (${report.label}): ${report.steps[0]?.requests ?? 0} requests per step, ` +
      `one at a time, pool ${report.pool_size}; min / median / max where they differ`,
  );
  console.table(
    report.steps.map((entry) => ({
      step: entry.step,
      'round trips': cell(entry.round_trips),
      statements: cell(entry.statements),
      BEGIN: cell(entry.begins),
      COMMIT: cell(entry.commits),
      transactions: cell(entry.transactions),
      'new connections': entry.new_connections,
      'unexpected statuses': entry.unexpected_statuses.join(',') || '-',
    })),
  );
  console.log(
    `Each request is counted from a quiet connection to the next: after its response the bench waits until no ` +
      `reply is awaited and Postgres has been quiet for ${report.quiet_ms} ms, so writes the service finishes ` +
      `after answering (a send's delivery record, coalesced in the background) count with their request.`,
  );
  console.log(
    'round trips = Sync + simple Query messages; statements = Execute + Query; BEGIN/COMMIT as sent; ' +
      'transactions = replies (ReadyForQuery) that find the connection idle: every transaction that ended, ' +
      'implicit ones (a statement outside BEGIN), read-only ones and rollbacks included.',
  );
  const boot = report.boot_and_readiness_excluded;
  console.log(
    `Excluded: the boot and the readiness probes (${boot.round_trips} round trips on ${boot.connections} connections).`,
  );
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

module.exports = { CountingProxy, transactionControl };
