import { execFileSync, spawnSync } from 'node:child_process';
import { ME, sendCode, verify, wrongCode } from './support/http-helpers';
import { createTestApp, nextPhone, type TestApp } from './support/test-app';

/**
 * GET /metrics is valid Prometheus exposition: what `promtool check metrics` accepts. The JS checks always run;
 * promtool (Debian's `prometheus` package) also runs when it is installed.
 */

interface Family {
  name: string;
  help?: string;
  type?: string;
  samples: string[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** Sample suffixes a histogram or summary adds to its family name. */
const SERIES_SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/** Groups the exposition into families by its `# HELP` / `# TYPE` lines; samples go to the family they belong to. */
function families(text: string): { families: Map<string, Family>; orphans: string[] } {
  const byName = new Map<string, Family>();
  const family = (name: string) => {
    if (!byName.has(name)) byName.set(name, { name, samples: [] });
    return byName.get(name)!;
  };
  const orphans: string[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'HELP') family(meta[2]).help = meta[3];
      else family(meta[2]).type = meta[3];
      continue;
    }
    if (line.startsWith('#')) continue;
    const sampleName = /^([^{\s]+)/.exec(line)![1];
    const owner = [...byName.values()].find((candidate) =>
      (SERIES_SUFFIXES[candidate.type ?? ''] ?? ['']).some((suffix) => candidate.name + suffix === sampleName),
    );
    if (owner) owner.samples.push(sampleName);
    else orphans.push(line);
  }
  return { families: byName, orphans };
}

/** The promtool-style lint problems of an exposition, one readable line each; empty when it is clean. */
function lint(text: string): string[] {
  const problems: string[] = [];
  const { families: byName, orphans } = families(text);
  for (const orphan of orphans) problems.push(`sample without a # TYPE family: ${orphan}`);
  for (const { name, help, type } of byName.values()) {
    if (!NAME.test(name)) problems.push(`${name}: not a valid metric name`);
    if (!help) problems.push(`${name}: no HELP`);
    if (!type) problems.push(`${name}: no TYPE`);
    if (type === 'counter' && !name.endsWith('_total')) problems.push(`${name}: a counter without the _total suffix`);
    if (type !== 'counter' && name.endsWith('_total')) problems.push(`${name}: a ${type} named _total`);
    if (/[A-Z]/.test(name)) problems.push(`${name}: camelCase name`);
  }
  return problems;
}

function promtoolPath(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  return found.status === 0 && found.stdout.trim() ? found.stdout.trim() : null;
}

describe('GET /metrics exposition format (e2e)', () => {
  let t: TestApp;
  let text: string;

  beforeAll(async () => {
    t = await createTestApp();
    const phone = nextPhone();
    const sent = await sendCode(t, phone);
    expect(sent.status).toBe(200);
    expect((await verify(t, phone, wrongCode(sent.body.debug_code))).status).toBe(400);
    expect((await verify(t, phone, sent.body.debug_code)).status).toBe(200);
    expect((await t.http.get(ME)).status).toBe(401);
    const response = await t.http.get('/metrics').expect(200);
    text = response.text;
  });
  afterAll(() => t?.close());

  it('has HELP and TYPE for every family, counters named _total and nothing else named so', () => {
    expect(lint(text)).toEqual([]);
  });

  it('exposes the active handles, requests and resources as gauges, without the _total gauges', () => {
    const { families: byName } = families(text);
    for (const name of ['nodejs_active_handles', 'nodejs_active_requests', 'nodejs_active_resources'])
      expect(byName.get(name)?.type).toBe('gauge');
    expect(byName.get('nodejs_active_handles')?.samples.length).toBeGreaterThan(0);
    expect([...byName.keys()].filter((name) => /^nodejs_active_.*_total$/.test(name))).toEqual([]);
  });

  it('the lint rejects what promtool rejects (a gauge named _total, a counter without it, no HELP)', () => {
    expect(lint('# HELP a_total x\n# TYPE a_total gauge\na_total 1\n')).toEqual(['a_total: a gauge named _total']);
    expect(lint('# HELP b x\n# TYPE b counter\nb 1\n')).toEqual(['b: a counter without the _total suffix']);
    expect(lint('# TYPE c gauge\nc 1\nd 2\n')).toEqual(['sample without a # TYPE family: d 2', 'c: no HELP']);
  });

  it('passes `promtool check metrics` when promtool is installed', () => {
    const promtool = promtoolPath();
    if (!promtool) {
      // CI installs Debian's prometheus package for promtool; without it, the JS lint above is the check.
      console.warn('promtool is not installed: only the JS lint of /metrics ran');
      return;
    }
    // promtool prints its findings and exits 1 on any; execFileSync throws with that output.
    expect(execFileSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: 'pipe' })).toBe('');
  });
});
