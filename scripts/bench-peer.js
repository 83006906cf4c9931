/**
 * The peer of `npm run bench`: better-auth 1.7.7 with its phoneNumber plugin (../shared/peer-better-auth,
 * copied somewhere writable and `npm ci`-ed). Either BENCH_PEER_DIR names that copy, and each round gets a
 * fresh database (its own migrate --reset) and the server started anew; or `--peer-url` names a peer started
 * by hand, and each round begins by emptying its tables (TRUNCATE on BENCH_PEER_DATABASE_URL). Then: send-otp
 * to new numbers, verify of the codes it sent.
 */
const { spawn, execFile } = require('node:child_process');
const { join } = require('node:path');
const { promisify } = require('node:util');
const { Client } = require('pg');
const { dbUrl, jsonPosts, listeningPid, measured, processStats, stop, waitUntilReady } = require('./bench-lib');

const PEER_PORT = Number(process.env.BENCH_PEER_PORT ?? 3101);
const PEER_BASE = `http://127.0.0.1:${PEER_PORT}`;
const PEER_DATABASE = process.env.BENCH_PEER_DATABASE ?? 'peer_better_auth_bench';
// The database of a peer started by hand (the default of its README).
const PEER_DATABASE_URL = process.env.BENCH_PEER_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/peer_better_auth';

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

/**
 * A peer started by hand at `url`: checks it answers, and finds the pid listening on its port when its host
 * is this machine's loopback (pid null otherwise, or when no process can be seen listening there).
 */
async function attachPeer(url) {
  const base = url.replace(/\/+$/, '');
  let response;
  try {
    response = await fetch(`${base}/__health`);
  } catch (error) {
    throw new Error(
      `the peer at ${base} does not answer (${error.cause?.code ?? error.message}): ` +
        'start it by hand as its README says (../shared/peer-better-auth/README.md)',
    );
  }
  if (!response.ok) throw new Error(`the peer at ${base} answers ${response.status} to /__health`);
  const { hostname, port, protocol } = new URL(base);
  const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(hostname);
  const pid = loopback ? listeningPid(Number(port || (protocol === 'https:' ? 443 : 80))) : null;
  return { base, pid, databaseUrl: PEER_DATABASE_URL };
}

/** Empties the tables of a peer started by hand, as its README's "reset between runs" says. */
async function resetPeerData(databaseUrl) {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('TRUNCATE verification, session, account, "user"');
  } finally {
    await client.end();
  }
}

/** The codes the peer "sent", from its test-only side route, for the verify phase. */
async function learnCodes(base, phones) {
  const codes = [];
  for (const phone of phones) {
    const response = await fetch(`${base}/__last-code?phone=${encodeURIComponent(phone)}`);
    if (response.ok) codes.push(await response.json());
  }
  return codes;
}

/**
 * One round of the peer: `attached` (from attachPeer) drives a peer started by hand, after emptying its
 * tables; otherwise the copy in `dir` is started on a fresh database and stopped afterwards.
 */
async function peerRound({ dir, attached, poolSize, verifyAmount, phonePrefix }) {
  let server = null;
  if (attached) await resetPeerData(attached.databaseUrl);
  else server = await startPeer(dir, poolSize);
  const pid = attached ? attached.pid : server.pid;
  const base = attached ? attached.base : PEER_BASE;
  try {
    let counter = 0;
    const phones = [];
    const send = await measured(
      pid,
      base,
      'send-code',
      jsonPosts(
        '/api/auth/phone-number/send-otp',
        () => ({ phoneNumber: `${phonePrefix}${String(++counter).padStart(7, '0')}` }),
        null,
      ),
    );
    // autocannon's onResponse gets no request body: the numbers sent are the first `counter` of the sequence.
    for (let i = 1; i <= counter; i++) phones.push(`${phonePrefix}${String(i).padStart(7, '0')}`);
    const codes = (await learnCodes(base, phones)).slice(0, verifyAmount);
    let next = 0;
    const verify = await measured(pid, base, 'verify-code', {
      ...jsonPosts('/api/auth/phone-number/verify', () => {
        const { phone, code } = codes[next++ % codes.length];
        return { phoneNumber: phone, code };
      }),
      amount: codes.length,
    });
    return { results: [send, verify], peak_rss_mb: peakRssMb(pid) };
  } finally {
    if (server) await stop(server);
  }
}

function peakRssMb(pid) {
  if (!pid) return null;
  try {
    return processStats(pid).peakRssMb;
  } catch {
    return null;
  }
}

module.exports = { attachPeer, peerRound, PEER_DATABASE };
