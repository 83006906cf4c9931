/**
 * The peer of `npm run bench`: better-auth 1.7.7 with its phoneNumber plugin (../shared/peer-better-auth,
 * copied somewhere writable and `npm ci`-ed; BENCH_PEER_DIR names that copy). One round: a fresh database
 * (its own migrate --reset), the server started, send-otp to new numbers, verify of the codes it sent.
 */
const { spawn, execFile } = require('node:child_process');
const { join } = require('node:path');
const { promisify } = require('node:util');
const { dbUrl, jsonPosts, measured, processStats, stop, waitUntilReady } = require('./bench-lib');

const PEER_PORT = Number(process.env.BENCH_PEER_PORT ?? 3101);
const PEER_BASE = `http://127.0.0.1:${PEER_PORT}`;
const PEER_DATABASE = 'peer_better_auth_bench';

async function startPeer(dir, poolSize) {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: dbUrl(PEER_DATABASE),
    PORT: String(PEER_PORT),
    BASE_URL: PEER_BASE,
    PG_POOL_MAX: String(poolSize),
  };
  await promisify(execFile)(process.execPath, [join(dir, 'migrate.js'), '--reset'], { cwd: dir, env });
  const child = spawn(process.execPath, [join(dir, 'server.js')], {
    cwd: dir,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitUntilReady(`${PEER_BASE}/__health`, child);
  return child;
}

/** The codes the peer "sent", from its test-only side route, for the verify phase. */
async function learnCodes(phones) {
  const codes = [];
  for (const phone of phones) {
    const response = await fetch(`${PEER_BASE}/__last-code?phone=${encodeURIComponent(phone)}`);
    if (response.ok) codes.push(await response.json());
  }
  return codes;
}

async function peerRound({ dir, poolSize, verifyAmount, phonePrefix }) {
  const server = await startPeer(dir, poolSize);
  try {
    let counter = 0;
    const phones = [];
    const send = await measured(
      server.pid,
      PEER_BASE,
      'send-code',
      jsonPosts(
        '/api/auth/phone-number/send-otp',
        () => ({ phoneNumber: `${phonePrefix}${String(++counter).padStart(7, '0')}` }),
        null,
      ),
    );
    // autocannon's onResponse gets no request body: the numbers sent are the first `counter` of the sequence.
    for (let i = 1; i <= counter; i++) phones.push(`${phonePrefix}${String(i).padStart(7, '0')}`);
    const codes = (await learnCodes(phones)).slice(0, verifyAmount);
    let next = 0;
    const verify = await measured(server.pid, PEER_BASE, 'verify-code', {
      ...jsonPosts('/api/auth/phone-number/verify', () => {
        const { phone, code } = codes[next++ % codes.length];
        return { phoneNumber: phone, code };
      }),
      amount: codes.length,
    });
    return { results: [send, verify], peak_rss_mb: processStats(server.pid).peakRssMb };
  } finally {
    await stop(server);
  }
}

module.exports = { peerRound, PEER_DATABASE };
