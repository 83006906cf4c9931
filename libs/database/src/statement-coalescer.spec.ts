import { StatementCoalescer } from './statement-coalescer';

/** One call of `run`, whose answer the test gives by hand. */
interface Call {
  items: string[];
  resolve(results: string[]): void;
  reject(error: unknown): void;
}

/** A `run` that records its calls and answers none of them until the test says so. */
function handRun() {
  const calls: Call[] = [];
  let running = 0;
  let mostAtOnce = 0;
  const run = jest.fn((items: string[]) => {
    running += 1;
    mostAtOnce = Math.max(mostAtOnce, running);
    return new Promise<string[]>((resolve, reject) => {
      calls.push({ items, resolve, reject });
    }).finally(() => {
      running -= 1;
    });
  });
  return {
    run,
    calls,
    items: () => calls.map((call) => call.items),
    mostAtOnce: () => mostAtOnce,
  };
}

/** Lets every pending promise callback (and the coalescer's next statement) run. */
const flush = () => new Promise((resolve) => setImmediate(resolve));

/** Each item's result: its own, recognisable. */
const answer = (items: string[]) => items.map((item) => `result of ${item}`);

/** What a promise has done so far, without awaiting it. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

/** An error as pg raises it for a statement the server refused (it carries the server's severity). */
function serverError(code: string, message: string): Error {
  return Object.assign(new Error(message), { severity: 'ERROR', code });
}

describe(StatementCoalescer.name, () => {
  it('runs an item alone at once: no waiting for company', async () => {
    const { run, calls } = handRun();
    const coalescer = new StatementCoalescer(run, { maxItems: 100, maxInFlight: 2 });

    const result = coalescer.submit('a');

    // Called synchronously by submit(), before any timer or microtask.
    expect(run).toHaveBeenCalledTimes(1);
    expect(run).toHaveBeenCalledWith(['a']);
    calls[0].resolve(answer(calls[0].items));
    await expect(result).resolves.toBe('result of a');
  });

  it('keeps items submitted while maxInFlight statements run, and sends them all in ONE next call', async () => {
    const { run, calls, items } = handRun();
    const coalescer = new StatementCoalescer(run, { maxItems: 100, maxInFlight: 2 });

    const first = [coalescer.submit('a'), coalescer.submit('b')];
    expect(items()).toEqual([['a'], ['b']]);
    const waiting = ['c', 'd', 'e', 'f'].map((item) => coalescer.submit(item));
    await flush();
    expect(run).toHaveBeenCalledTimes(2);

    calls[1].resolve(answer(calls[1].items));
    await flush();
    expect(items()).toEqual([['a'], ['b'], ['c', 'd', 'e', 'f']]);

    calls[0].resolve(answer(calls[0].items));
    calls[2].resolve(answer(calls[2].items));
    await expect(Promise.all([...first, ...waiting])).resolves.toEqual(
      ['a', 'b', 'c', 'd', 'e', 'f'].map((item) => `result of ${item}`),
    );
    expect(run).toHaveBeenCalledTimes(3);
  });

  it('never has more than maxInFlight calls running at once', async () => {
    const { run, calls, mostAtOnce } = handRun();
    const coalescer = new StatementCoalescer(run, { maxItems: 4, maxInFlight: 3 });
    const submitted: Promise<string>[] = [];
    const answered = new Set<Call>();

    // Waves of items, each answered in a scrambled order, while more keep arriving.
    for (let wave = 0; wave < 10; wave++) {
      for (let index = 0; index < 7; index++) submitted.push(coalescer.submit(`${wave}.${index}`));
      const open = calls.filter((call) => !answered.has(call));
      for (const call of wave % 2 === 0 ? open.reverse().slice(0, 2) : open.slice(0, 1)) {
        answered.add(call);
        call.resolve(answer(call.items));
      }
      await flush();
      expect(calls.length - answered.size).toBeLessThanOrEqual(3);
    }
    // Drain what is left.
    while (answered.size < calls.length) {
      for (const call of calls.filter((candidate) => !answered.has(candidate))) {
        answered.add(call);
        call.resolve(answer(call.items));
      }
      await flush();
    }

    const results = await Promise.all(submitted);
    expect(results).toHaveLength(70);
    results.forEach((result, index) => expect(result).toBe(`result of ${Math.floor(index / 7)}.${index % 7}`));
    expect(mostAtOnce()).toBe(3);
    expect(calls.flatMap((call) => call.items)).toHaveLength(70);
  });

  it('puts at most maxItems into one call; the rest go in the following one', async () => {
    const { run, calls, items } = handRun();
    const coalescer = new StatementCoalescer(run, { maxItems: 3, maxInFlight: 1 });

    const all = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((item) => coalescer.submit(item));
    expect(items()).toEqual([['a']]);

    for (let answeredCalls = 0; answeredCalls < 4; answeredCalls++) {
      calls[answeredCalls].resolve(answer(calls[answeredCalls].items));
      await flush();
    }

    expect(items()).toEqual([['a'], ['b', 'c', 'd'], ['e', 'f', 'g'], ['h']]);
    for (const call of calls) expect(call.items.length).toBeLessThanOrEqual(3);
    await expect(Promise.all(all)).resolves.toEqual(answer(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']));
  });

  it('settles each submit with its own result (by position), and only once its call resolved', async () => {
    const hand = handRun();
    const coalescer = new StatementCoalescer(hand.run, { maxItems: 100, maxInFlight: 1 });

    const alone = track(coalescer.submit('x'));
    const batched = ['p', 'q', 'r'].map((item) => track(coalescer.submit(item)));
    await flush();
    expect(hand.items()).toEqual([['x']]);
    expect([alone, ...batched].some((state) => state.settled)).toBe(false);

    hand.calls[0].resolve(['X']);
    await flush();
    expect(alone).toEqual({ settled: true, value: 'X' });
    expect(hand.items()).toEqual([['x'], ['p', 'q', 'r']]);
    // The second call runs: its items are still waiting for it.
    expect(batched.some((state) => state.settled)).toBe(false);

    // Results answer the items by position: the first result is p's, whatever their values.
    hand.calls[1].resolve(['R of p', 'R of q', 'R of r']);
    await flush();
    expect(batched).toEqual([
      { settled: true, value: 'R of p' },
      { settled: true, value: 'R of q' },
      { settled: true, value: 'R of r' },
    ]);
  });

  it('rejects every item of a call with a failure the server did not report (no severity), without retrying', async () => {
    const { run, calls, items } = handRun();
    const coalescer = new StatementCoalescer(run, { maxItems: 100, maxInFlight: 1 });
    const lost = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

    const before = coalescer.submit('a');
    const batch = ['b', 'c', 'd'].map((item) => track(coalescer.submit(item)));
    calls[0].resolve(answer(calls[0].items));
    await flush();
    expect(items()).toEqual([['a'], ['b', 'c', 'd']]);

    calls[1].reject(lost);
    await flush();

    for (const state of batch) {
      expect(state.settled).toBe(true);
      expect(state.error).toBe(lost);
    }
    expect(run).toHaveBeenCalledTimes(2);
    await expect(before).resolves.toBe('result of a');

    // The coalescer still works after it.
    const after = coalescer.submit('e');
    expect(items()).toEqual([['a'], ['b', 'c', 'd'], ['e']]);
    calls[2].resolve(['E']);
    await expect(after).resolves.toBe('E');
  });

  it.each([
    ['40P01 deadlock_detected', serverError('40P01', 'deadlock detected')],
    ['22P02 invalid_text_representation', serverError('22P02', 'invalid input syntax for type uuid: "bad"')],
  ])(
    'on a server-reported failure (%s) of a call of 3 items, re-runs each alone: two succeed, the bad one gets its own error',
    async (_name, batchError) => {
      const ownError = serverError('22P02', 'invalid input syntax for type uuid: "bad"');
      const run = jest.fn((items: string[]) => {
        if (items.length > 1) return Promise.reject(batchError);
        if (items[0] === 'bad') return Promise.reject(ownError);
        return Promise.resolve(answer(items));
      });
      const hand = handRun();
      // The first call holds the only slot, so the three items gather into one call behind it.
      run.mockImplementationOnce(hand.run);
      const coalescer = new StatementCoalescer(run, { maxItems: 100, maxInFlight: 1 });

      const first = coalescer.submit('first');
      const good1 = track(coalescer.submit('good 1'));
      const bad = track(coalescer.submit('bad'));
      const good2 = track(coalescer.submit('good 2'));
      hand.calls[0].resolve(['first done']);
      await flush();
      await flush();

      expect(run.mock.calls.map(([items]) => items)).toEqual([
        ['first'],
        ['good 1', 'bad', 'good 2'],
        ['good 1'],
        ['bad'],
        ['good 2'],
      ]);
      await expect(first).resolves.toBe('first done');
      expect(good1).toEqual({ settled: true, value: 'result of good 1' });
      expect(good2).toEqual({ settled: true, value: 'result of good 2' });
      expect(bad).toEqual({ settled: true, error: ownError });
      expect(bad.error).not.toBe(batchError);
    },
  );

  it('re-runs the items of a refused call one after the other, inside its slot: maxInFlight holds for retries too', async () => {
    const { run, calls, items, mostAtOnce } = handRun();
    const coalescer = new StatementCoalescer(run, { maxItems: 100, maxInFlight: 2 });

    const first = coalescer.submit('a');
    const other = coalescer.submit('b');
    const batch = ['c', 'd', 'e'].map((item) => coalescer.submit(item));
    calls[0].resolve(answer(calls[0].items));
    await flush();
    expect(items()).toEqual([['a'], ['b'], ['c', 'd', 'e']]);

    calls[2].reject(serverError('40P01', 'deadlock detected'));
    await flush();
    // One retry at a time, beside the call of b that still runs; items arriving now wait for a free slot.
    const late = coalescer.submit('f');
    expect(items()).toEqual([['a'], ['b'], ['c', 'd', 'e'], ['c']]);
    calls[3].resolve(['C']);
    await flush();
    expect(items().slice(4)).toEqual([['d']]);
    calls[4].resolve(['D']);
    await flush();
    expect(items().slice(5)).toEqual([['e']]);
    calls[5].resolve(['E']);
    await flush();
    expect(items().slice(6)).toEqual([['f']]);
    calls[1].resolve(['B']);
    calls[6].resolve(['F']);

    await expect(Promise.all([first, other, ...batch, late])).resolves.toEqual([
      'result of a',
      'B',
      'C',
      'D',
      'E',
      'F',
    ]);
    expect(mostAtOnce()).toBe(2);
  });

  it('does not retry the items of a call when the server reports it is going away (57P01, severity FATAL)', async () => {
    const { run, calls } = handRun();
    const coalescer = new StatementCoalescer(run, { maxItems: 100, maxInFlight: 1 });
    const shutdown = Object.assign(new Error('terminating connection due to administrator command'), {
      severity: 'FATAL',
      code: '57P01',
    });

    const first = coalescer.submit('a');
    const batch = ['b', 'c', 'd'].map((item) => track(coalescer.submit(item)));
    calls[0].resolve(answer(calls[0].items));
    await flush();
    calls[1].reject(shutdown);
    await flush();

    await expect(first).resolves.toBe('result of a');
    expect(batch).toEqual(Array.from({ length: 3 }, () => ({ settled: true, error: shutdown })));
    expect(run).toHaveBeenCalledTimes(2);
  });

  it('does not retry a single item the server refused', async () => {
    const refused = serverError('40P01', 'deadlock detected');
    const run = jest.fn().mockRejectedValue(refused);
    const coalescer = new StatementCoalescer<string, string>(run, { maxItems: 100, maxInFlight: 2 });

    await expect(coalescer.submit('alone')).rejects.toBe(refused);
    expect(run).toHaveBeenCalledTimes(1);
    expect(run).toHaveBeenCalledWith(['alone']);
  });
});
