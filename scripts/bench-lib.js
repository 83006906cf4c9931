/** What both sides of `npm run bench` share: the load driver, process CPU from /proc, and small helpers. */
const { readFileSync, readdirSync } = require('node:fs');
const autocannon = require('autocannon');
const { Client } = require('pg');

const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

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

/** A process's CPU seconds (user + system) and peak RSS, from /proc. */
function processStats(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { cpuSeconds: ticks / 100, peakRssMb: Math.round(kb('VmHWM') / 1024), rssMb: Math.round(kb('VmRSS') / 1024) };
}

/** CPU seconds of every Postgres server process on this machine (the database shares the cores). */
function postgresCpuSeconds() {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks / 100;
}

function run(url, options) {
  return new Promise((resolve, reject) => {
    const settings = { url, connections: CONNECTIONS, ...(options.amount ? {} : { duration: DURATION }), ...options };
    const instance = autocannon(settings, (error, result) => (error ? reject(error) : resolve(result)));
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

/** One phase of load against the server `pid` listens as at `url`, with the CPU it and Postgres spent. */
async function measured(pid, url, name, options) {
  const before = processStats(pid);
  const postgresBefore = postgresCpuSeconds();
  const loadBefore = process.cpuUsage();
  const result = await run(url, options);
  const serverCpu = processStats(pid).cpuSeconds - before.cpuSeconds;
  const load = process.cpuUsage(loadBefore);
  const requests = result.requests.total;
  return {
    name,
    requests,
    rps: Math.round(result.requests.average),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    non2xx: result.non2xx + result.errors + result.timeouts,
    server_cpu_percent: Math.round((serverCpu / result.duration) * 100),
    server_cpu_ms_per_request: requests ? Number(((serverCpu * 1000) / requests).toFixed(2)) : null,
    postgres_cpu_percent: Math.round(((postgresCpuSeconds() - postgresBefore) / result.duration) * 100),
    load_generator_cpu_percent: Math.round(((load.user + load.system) / 1e6 / result.duration) * 100),
  };
}

/** POSTs of JSON bodies, one built per request; `onOk` sees every 200's parsed body. */
function jsonPosts(path, body, onOk) {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (request) => ({ ...request, path, body: JSON.stringify(body()) }),
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
  adminQuery,
  dbUrl,
  jsonPosts,
  measured,
  median,
  processStats,
  stop,
  waitUntilReady,
};
