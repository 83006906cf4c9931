/**
 * What both sides of `npm run bench` (and `npm run bench:round-trips`) share: starting the service, the load
 * driver, process CPU from /proc, and small helpers.
 */
const { execFileSync, spawn } = require('node:child_process');
const { generateKeyPairSync, randomBytes } = require('node:crypto');
const { readFileSync, readdirSync, readlinkSync } = require('node:fs');
const net = require('node:net');
const { join } = require('node:path');
const autocannon = require('autocannon');
const { Client } = require('pg');

const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

// Another build to measure with the same driver, e.g. a `git worktree` of an older commit, built.
const MAIN_JS = process.env.BENCH_MAIN_JS ?? join(__dirname, '../dist/apps/api/src/main.js');

const dbUrl = (name) => Object.assign(new URL(ADMIN_URL), { pathname: `/${name}` }).toString();

async function adminQuery(sql) {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const BENCH_SIGNING_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ format: 'pem', type: 'pkcs8' })
  .toString();

/**
 * Starts the built service (MAIN_JS) on `port` against `databaseUrl`: console provider, SMS_EXPOSE_CODE to
 * learn codes, clients behind a trusted proxy (X-Forwarded-For), status polling out of the way; resolves once
 * /health/ready is 200.
 */
async function startSmsAuth({ port, databaseUrl, poolSize }) {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'test', // SMS_EXPOSE_CODE is refused in production; 'test' logs JSON like production does
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', // as in production: a line per request
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: String(poolSize),
    // The default algorithm, ES256, with a key of this run (older builds, BENCH_MAIN_JS, sign HS256 with the secret).
    JWT_PRIVATE_KEYS: BENCH_SIGNING_KEY,
    JWT_SECRET: randomBytes(32).toString('base64url'),
    OTP_SECRET: randomBytes(32).toString('base64url'),
    SMS_EXPOSE_CODE: 'true',
    // Clients as behind a load balancer: each request comes from one of CLIENT_ADDRESSES (X-Forwarded-For, see
    // jsonPosts), every one of them within the default per-IP limits.
    TRUST_PROXY: 'loopback',
    SMS_STATUS_POLL_INTERVAL_MS: '600000',
    // The fraud guard judges and counts every send (BENCH_FRAUD_GUARD=off measures without it). The bench's
    // send phase is thousands of codes nobody verifies (the verify phase comes after), a pumping attack by the
    // rules' measure, so their thresholds are set out of reach: every rule is evaluated, none blocks.
    FRAUD_GUARD: process.env.BENCH_FRAUD_GUARD ?? 'enforce',
    FRAUD_COUNTRY_MIN_DAY: '100000000',
    FRAUD_COUNTRY_MIN_HOUR: '100000000',
    FRAUD_IP_MIN_DAY: '100000000',
    FRAUD_IP_MIN_HOUR: '100000000',
    FRAUD_PREFIX_LIMIT_HOUR: '1000',
    FRAUD_BREAKER_WINDOW: '1000',
    FRAUD_BREAKER_MIN_CONVERSION: '0',
  };
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, MAIN_JS], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitUntilReady(`http://127.0.0.1:${port}/health/ready`, child);
  return child;
}

/** A TCP port free on loopback now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * The pid of the process listening on TCP `port` of this machine, or null when none can be seen: from
 * `ss -Hltnp`, else by the socket's inode in /proc/net/tcp{,6} and the processes' /proc/PID/fd links.
 */
function listeningPid(port) {
  try {
    const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const match = /pid=(\d+)/.exec(out);
    if (match) return Number(match[1]);
  } catch {
    // no ss here: the /proc way below
  }
  const inodes = new Set();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.trim().split('\n').slice(1)) {
      // sl local_address rem_address st … inode: state 0A is LISTEN, the port is the local address's hex tail.
      const columns = line.trim().split(/\s+/);
      if (columns[3] === '0A' && parseInt(columns[1].split(':')[1], 16) === port) inodes.add(columns[9]);
    }
  }
  if (inodes.size === 0) return null;
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    let fds;
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // ended, or not ours to read
    }
    for (const fd of fds) {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        if (inode && inodes.has(inode)) return Number(pid);
      } catch {
        // closed meanwhile
      }
    }
  }
  return null;
}

/** A process's CPU seconds (user + system) and peak RSS, from /proc. */
function processStats(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { cpuSeconds: ticks / 100, peakRssMb: Math.round(kb('VmHWM') / 1024), rssMb: Math.round(kb('VmRSS') / 1024) };
}

/** CPU seconds of each Postgres server process on this machine (the database shares the cores), by pid. */
function postgresCpuSeconds() {
  const seconds = new Map();
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      seconds.set(pid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // the process ended meanwhile
    }
  }
  return seconds;
}

/**
 * What Postgres spent between two readings: each process's growth, the whole time of one started meanwhile.
 * A process that ended meanwhile (a pool's idle connection closing) took its share with it: `ended` counts them.
 */
function postgresCpuSpent(before, after) {
  let spent = 0;
  for (const [pid, seconds] of after) spent += seconds - (before.get(pid) ?? 0);
  const ended = [...before.keys()].filter((pid) => !after.has(pid)).length;
  return { spent, ended };
}

/**
 * Runs autocannon; `activeSeconds` is from the start to the last response. A phase of a fixed number of requests
 * (`amount`) ends on autocannon's next one-second tick after its last response, so its `duration` is rounded up
 * to whole seconds (3,000 verifies done in 3.1 s report 4.01 s).
 */
function run(url, options) {
  return new Promise((resolve, reject) => {
    const settings = { url, connections: CONNECTIONS, ...(options.amount ? {} : { duration: DURATION }), ...options };
    const startedAt = performance.now();
    let lastResponseAt = startedAt;
    const instance = autocannon(settings, (error, result) =>
      error ? reject(error) : resolve({ ...result, activeSeconds: (lastResponseAt - startedAt) / 1000 }),
    );
    instance.on('response', () => (lastResponseAt = performance.now()));
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

/** The CPU seconds of `pid`, or null when it is unknown (null) or cannot be read. */
function cpuSecondsOf(pid) {
  if (!pid) return null;
  try {
    return processStats(pid).cpuSeconds;
  } catch {
    return null;
  }
}

/**
 * One phase of load against the server `pid` listens as at `url`, with the CPU it and Postgres spent.
 * `pid` may be null (a server this machine cannot see): its CPU figures are then null.
 */
async function measured(pid, url, name, options) {
  const before = cpuSecondsOf(pid);
  const postgresBefore = postgresCpuSeconds();
  const loadBefore = process.cpuUsage();
  const result = await run(url, options);
  const after = cpuSecondsOf(pid);
  const serverCpu = before === null || after === null ? null : after - before;
  const { spent: postgresCpu, ended: postgresEnded } = postgresCpuSpent(postgresBefore, postgresCpuSeconds());
  const load = process.cpuUsage(loadBefore);
  const requests = result.requests.total;
  return {
    name,
    requests,
    // Over the time the phase really ran (see run): autocannon's per-second average and its duration both count a
    // last, partial second as a full one.
    rps: Math.round(requests / result.activeSeconds),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    non2xx: result.non2xx + result.errors + result.timeouts,
    server_cpu_percent: serverCpu === null ? null : Math.round((serverCpu / result.duration) * 100),
    server_cpu_ms_per_request:
      serverCpu !== null && requests ? Number(((serverCpu * 1000) / requests).toFixed(2)) : null,
    // Every postgres process of the machine (backends, WAL writer, checkpointer): what the requests cost it.
    postgres_cpu_percent: Math.round((postgresCpu / result.duration) * 100),
    postgres_cpu_ms_per_request: requests ? Number(((postgresCpu * 1000) / requests).toFixed(2)) : null,
    postgres_processes_ended: postgresEnded,
    load_generator_cpu_percent: Math.round(((load.user + load.system) / 1e6 / result.duration) * 100),
  };
}

/**
 * The client addresses requests come from. Many clients, as in production: one address sending thousands of
 * codes a minute would be refused by the per-IP limits, and with those lifted, pay for a history of hits no
 * real client has (the in-memory limiter scans an address's hits on each request).
 */
const CLIENT_ADDRESSES = 50_000;
const clientAddress = () => {
  const n = Math.floor(Math.random() * CLIENT_ADDRESSES);
  return `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}`;
};

/** POSTs of JSON bodies, one built per request from a random client address; `onOk` sees every 200's body. */
function jsonPosts(path, body, onOk) {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          path,
          headers: { ...request.headers, 'x-forwarded-for': clientAddress() },
          body: JSON.stringify(body()),
        }),
        onResponse: (status, text) => {
          if (status === 200 && onOk) onOk(JSON.parse(text));
        },
      },
    ],
  };
}

async function waitUntilReady(url, child) {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet listening
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${url} did not become ready`);
}

async function stop(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function median(values) {
  const sorted = values.filter((value) => typeof value === 'number').sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

module.exports = {
  ADMIN_URL,
  CONNECTIONS,
  DURATION,
  MAIN_JS,
  adminQuery,
  dbUrl,
  freePort,
  jsonPosts,
  listeningPid,
  measured,
  median,
  processStats,
  startSmsAuth,
  stop,
  waitUntilReady,
};
