import { collectDefaultMetrics, Registry } from 'prom-client';

let processRegistry: Registry | undefined;

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
