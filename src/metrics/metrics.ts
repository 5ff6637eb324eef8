import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

/** Where the gauges read at scrape time come from; each is cheap (one grouped query, a counter). */
export interface MetricSources {
  /** Registrations per state, from the database. */
  registrationsByState(): Promise<Map<string, number>>
  /** Jobs waiting in the background queue (pg-boss), or undefined when this process has none. */
  jobsQueued(): Promise<number | undefined>
  /** Calls waiting for a pacing slot, per quota category (empty when the IdP is not paced). */
  pacingQueueDepth(): Record<string, number>
}

/** The service's Prometheus metrics (`flip_users_*`) on one registry, built by the container. */
export interface Metrics {
  registry: Registry
  /** completed, accepted, rolled_back, failed, needs_attention */
  registrationOutcomes: Counter<'outcome'>
  sagaStepDuration: Histogram<'step' | 'result'>
  idpRequests: Counter<'operation' | 'result'>
  idpRequestDuration: Histogram<'operation'>
  idpThrottled: Counter<'category'>
  httpRequestDuration: Histogram<'method' | 'route' | 'status'>
  /** Supplies the scrape-time gauges; until called, they report nothing. */
  setSources(sources: MetricSources): void
}

const PREFIX = 'flip_users_'

/**
 * A fresh registry per container (no module-level singleton: two containers in one test process,
 * or a CLI command beside a server, never share or double-register metrics). Default process
 * metrics are included, prefixed like the rest.
 */
export const createMetrics = (): Metrics => {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: PREFIX })
  let sources: MetricSources | undefined

  new Gauge({
    name: `${PREFIX}registrations`,
    help: 'Registrations in each state, now (from the database)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      if (!sources) return
      this.reset()
      for (const [state, count] of await sources.registrationsByState()) this.set({ state }, count)
    },
  })
  new Gauge({
    name: `${PREFIX}jobs_queued`,
    help: 'Registration jobs queued and not yet started (pg-boss backlog, as its monitor last counted it: up to a minute old)',
    registers: [registry],
    async collect() {
      const queued = await sources?.jobsQueued()
      if (queued !== undefined) this.set(queued)
    },
  })
  new Gauge({
    name: `${PREFIX}idp_pacing_queue_depth`,
    help: 'Identity-provider calls waiting for a pacing slot, per quota category',
    labelNames: ['category'],
    registers: [registry],
    collect() {
      if (!sources) return
      for (const [category, depth] of Object.entries(sources.pacingQueueDepth()))
        this.set({ category }, depth)
    },
  })

  return {
    registry,
    registrationOutcomes: new Counter({
      name: `${PREFIX}registrations_total`,
      help: 'Registrations by outcome: accepted (202), completed, rolled_back, failed, needs_attention',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    sagaStepDuration: new Histogram({
      name: `${PREFIX}saga_step_duration_seconds`,
      help: 'Duration of one saga step, by step and result (continue, wait, error)',
      labelNames: ['step', 'result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    idpRequests: new Counter({
      name: `${PREFIX}idp_requests_total`,
      help: 'Identity-provider calls, by operation and result (ok or the error kind)',
      labelNames: ['operation', 'result'],
      registers: [registry],
    }),
    idpRequestDuration: new Histogram({
      name: `${PREFIX}idp_request_duration_seconds`,
      help: 'Duration of one identity-provider call (after pacing), by operation',
      labelNames: ['operation'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    idpThrottled: new Counter({
      name: `${PREFIX}idp_throttled_total`,
      help: 'Throttling answers from the identity provider, per quota category',
      labelNames: ['category'],
      registers: [registry],
    }),
    httpRequestDuration: new Histogram({
      name: `${PREFIX}http_request_duration_seconds`,
      help: 'HTTP request duration, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    setSources(next) {
      sources = next
    },
  }
}
