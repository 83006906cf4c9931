import { collectDefaultMetrics, Registry } from 'prom-client';

let processRegistry: Registry | undefined;

/**
 * prom-client's unlabelled totals of libuv handles, requests and resources: gauges whose `_total` suffix is
 * reserved for counters, so `promtool check metrics` rejects them. The same figures remain as the gauges
 * `nodejs_active_handles`, `nodejs_active_requests` and `nodejs_active_resources` (by `type`): the total is
 * `sum(nodejs_active_handles)`.
 */
const GAUGES_NAMED_AS_COUNTERS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * The process metrics (CPU, memory, heap, event-loop lag, GC, handles), collected once per process.
 * prom-client starts an event-loop monitor and a GC observer for each collectDefaultMetrics() call and
 * never stops them, so they are not collected anew for each app: every app registry shows these same
 * metric objects. They describe the process, which the apps of one process (tests) share anyway.
 */
export function processMetricsRegistry(): Registry {
  if (!processRegistry) {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    for (const name of GAUGES_NAMED_AS_COUNTERS) registry.removeSingleMetric(name);
    processRegistry = registry;
  }
  return processRegistry;
}

/**
 * A fresh registry for one Nest app: its own SMS and HTTP metrics (registered by their providers),
 * plus the process metrics. Never prom-client's global default registry, so that several apps in one
 * process (the e2e tests) keep separate counts and never collide on metric names.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  const processMetrics = processMetricsRegistry();
  for (const { name } of processMetrics.getMetricsAsArray()) {
    // Guards against registering a process metric twice (prom-client throws on a duplicate name).
    const metric = processMetrics.getSingleMetric(name);
    if (metric && !registry.getSingleMetric(name)) registry.registerMetric(metric);
  }
  return registry;
}
