import { randomUUID } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { type FastifyInstance, type FastifyRequest, LogController } from 'fastify'
import type { Logger } from 'pino'
import type { JobContext, JobQueue } from '../jobs/job-queue.js'
import type { Metrics } from '../metrics/metrics.js'

// A caller's id is echoed in headers and logs, so only a plain token is taken as given.
const PLAIN_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/
// W3C trace context: version-traceid-parentid-flags; an all-zero trace id is invalid.
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/

/**
 * The request id: the caller's `X-Request-Id` when it is a plain token, else the trace id of a
 * valid W3C `traceparent`, else a new UUID. It names the request's log lines (`requestId`), the
 * `X-Request-Id` response header, every problem body, and the background work it starts.
 */
export const requestIdOf = (headers: IncomingHttpHeaders): string => {
  const given = headers['x-request-id']
  if (typeof given === 'string' && PLAIN_ID.test(given)) return given
  const traceId = TRACEPARENT.exec(
    String(headers.traceparent ?? '')
      .trim()
      .toLowerCase(),
  )?.[1]
  if (traceId && !/^0+$/.test(traceId)) return traceId
  return randomUUID()
}

/** The Fastify options that make `request.id` the request id and log it as `requestId`. */
export const requestIdOptions = () => ({
  genReqId: (request: { headers: IncomingHttpHeaders }) => requestIdOf(request.headers),
  logController: new LogController({ requestIdLogLabel: 'requestId' }),
})

/**
 * Echoes the request id on every response (404s, problems and preflights included) and times
 * every request for `flip_users_http_request_duration_seconds` by route pattern (never the raw
 * URL, which would make a label per registration id) and status.
 */
export const registerRequestTracing = (
  app: FastifyInstance,
  metrics: Pick<Metrics, 'httpRequestDuration'>,
): void => {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id)
  })
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequestDuration.observe(
      {
        method: request.method,
        route: request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched'),
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    )
  })
}

/**
 * A use case's deps for one request: its log is the request's (every line carries `requestId`),
 * and the background jobs it queues carry the request id in their payload, so the worker's lines
 * carry it too.
 */
export const requestScoped = <
  D extends { log: Logger; jobs?: Pick<JobQueue, 'enqueueRegistration'> | undefined },
>(
  deps: D,
  request: FastifyRequest,
): D => {
  const { jobs } = deps
  return {
    ...deps,
    log: request.log as Logger,
    ...(jobs
      ? {
          jobs: {
            ...jobs,
            enqueueRegistration: (registrationId: string, delaySeconds?: number, context?: JobContext) =>
              jobs.enqueueRegistration(registrationId, delaySeconds, { requestId: request.id, ...context }),
          },
        }
      : {}),
  }
}
