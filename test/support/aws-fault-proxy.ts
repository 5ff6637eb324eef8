import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'

/** What the proxy does to a request for one AWS operation instead of (or besides) forwarding it. */
export type Fault =
  /** 503 with a plain-text body, as a load balancer in front of a service answers. Not forwarded. */
  | { kind: 'unavailable' }
  /** 400 TooManyRequestsException, as Cognito throttles. Not forwarded. */
  | { kind: 'throttle' }
  /** Forwarded (the emulator acts on it), then answered 400 CodeDeliveryFailureException. */
  | { kind: 'code-delivery-failure' }
  /** Held for `ms` (past the client's timeout), then forwarded unless `forward` is false. */
  | { kind: 'delay'; ms: number; forward?: boolean }
  /** The connection is dropped without an answer. Not forwarded. */
  | { kind: 'reset' }

export type Outcome = 'forwarded' | 'throttled-by-rate' | Fault['kind']

export interface ProxiedRequest {
  /** The AWS operation from `X-Amz-Target`, e.g. `AdminCreateUser`. */
  operation: string
  /** When the request arrived, in ms on the proxy's monotonic clock (`performance.now()`). */
  at: number
  outcome: Outcome
  /** The request's JSON body, as the SDK sent it. */
  input: Record<string, unknown>
  /**
   * When the proxy answered, on the same clock (so `answeredAt - at` is the proxy's whole round
   * trip, upstream included); unset until then, and for a dropped connection.
   */
  answeredAt?: number
}

export interface AwsFaultProxy {
  url: string
  /** Everything that arrived, in arrival order. */
  readonly requests: ProxiedRequest[]
  /** Applies `fault` to the next `times` requests for `operation` (every one when omitted). */
  fail(operation: string, fault: Fault, options?: { times?: number }): void
  /**
   * Throttles `operation` like a quota: a request arriving when `limit` requests were already let
   * through in the trailing `windowMs` is answered TooManyRequestsException.
   */
  throttleAbove(operation: string, limit: number, windowMs?: number): void
  /**
   * cognito-local ignores ListUsers' `Limit` and `PaginationToken` and answers every user at once:
   * with this on, the proxy forwards the request without them and pages the answer itself.
   */
  pageListUsers(on: boolean): void
  /** Removes every fault and throttle and forgets the recorded requests. */
  reset(): void
  /** Resolves when no request is being held or forwarded. */
  idle(): Promise<void>
  close(): Promise<void>
}

const AMZ_JSON = 'application/x-amz-json-1.1'

const readBody = (stream: http.IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.on('end', () => resolve(Buffer.concat(chunks)))
    stream.on('error', reject)
  })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Upstream {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

const forward = (target: URL, req: http.IncomingMessage, body: Buffer): Promise<Upstream> =>
  new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) }
    const upstream = http.request(
      { hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers },
      (response) => {
        readBody(response).then(
          (payload) =>
            resolve({ status: response.statusCode ?? 502, headers: response.headers, body: payload }),
          reject,
        )
      },
    )
    upstream.on('error', reject)
    upstream.end(body)
  })

const parseJson = (body: Buffer): Record<string, unknown> => {
  try {
    return JSON.parse(body.toString()) as Record<string, unknown>
  } catch {
    return {}
  }
}

const awsError = (type: string, message: string) => Buffer.from(JSON.stringify({ __type: type, message }))

/** Pages a full ListUsers answer by the request's Limit and an offset token of our own. */
const pageUsers = (request: Record<string, unknown>, upstream: Upstream): Upstream => {
  if (upstream.status !== 200) return upstream
  const answer = JSON.parse(upstream.body.toString()) as { Users?: { Username: string }[] }
  const users = [...(answer.Users ?? [])].sort((a, b) => a.Username.localeCompare(b.Username))
  const limit = typeof request.Limit === 'number' ? request.Limit : 60
  const token = typeof request.PaginationToken === 'string' ? request.PaginationToken : undefined
  const offset = token === undefined ? 0 : Number(Buffer.from(token, 'base64url').toString())
  const end = offset + limit
  const page = {
    Users: users.slice(offset, end),
    ...(end < users.length ? { PaginationToken: Buffer.from(String(end)).toString('base64url') } : {}),
  }
  return { ...upstream, body: Buffer.from(JSON.stringify(page)) }
}

/**
 * A loopback HTTP proxy in front of an AWS JSON-protocol endpoint (cognito-local) that injects
 * faults per operation, throttles like a quota, and records when each request arrived. Faults are
 * made at the protocol level, so the SDK's real deserialisation and error types are exercised.
 */
export const startAwsFaultProxy = async (targetUrl: string): Promise<AwsFaultProxy> => {
  const target = new URL(targetUrl)
  const requests: ProxiedRequest[] = []
  const faults = new Map<string, { fault: Fault; remaining: number }>()
  const throttles = new Map<string, { limit: number; windowMs: number; letThrough: number[] }>()
  let paging = false
  const inFlight = new Set<Promise<void>>()

  const nextFault = (operation: string): Fault | undefined => {
    const rule = faults.get(operation)
    if (!rule) return undefined
    rule.remaining -= 1
    if (rule.remaining <= 0) faults.delete(operation)
    return rule.fault
  }

  const overQuota = (operation: string, at: number): boolean => {
    const throttle = throttles.get(operation)
    if (!throttle) return false
    throttle.letThrough = throttle.letThrough.filter((t) => at - t < throttle.windowMs)
    if (throttle.letThrough.length >= throttle.limit) return true
    throttle.letThrough.push(at)
    return false
  }

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const at = performance.now()
    const body = await readBody(req)
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? ''
    const fault = nextFault(operation)
    const input = parseJson(body)
    const entry: ProxiedRequest = { operation, at, outcome: 'forwarded', input }
    const record = (outcome: Outcome) => {
      entry.outcome = outcome
      requests.push(entry)
    }
    const reply = (status: number, payload: Buffer, contentType = AMZ_JSON) => {
      if (res.destroyed) return
      entry.answeredAt = performance.now()
      res.writeHead(status, { 'content-type': contentType, 'content-length': String(payload.length) })
      res.end(payload)
    }

    if (fault?.kind === 'unavailable') {
      record('unavailable')
      return reply(503, Buffer.from('Service Unavailable'), 'text/plain')
    }
    if (fault?.kind === 'throttle') {
      record('throttle')
      return reply(400, awsError('TooManyRequestsException', 'Rate exceeded'))
    }
    if (fault?.kind === 'reset') {
      record('reset')
      req.socket.destroy()
      return
    }
    if (overQuota(operation, at)) {
      record('throttled-by-rate')
      return reply(400, awsError('TooManyRequestsException', 'Rate exceeded'))
    }
    record(fault?.kind ?? 'forwarded')
    if (fault?.kind === 'delay') {
      await sleep(fault.ms)
      if (fault.forward === false) return reply(504, Buffer.from('Gateway Timeout'), 'text/plain')
    }

    const pageThis = paging && operation === 'ListUsers'
    let outgoing = body
    if (pageThis) {
      const { Limit: _limit, PaginationToken: _token, ...rest } = input
      outgoing = Buffer.from(JSON.stringify(rest))
    }
    let upstream = await forward(target, req, outgoing)
    if (pageThis) upstream = pageUsers(input, upstream)
    if (fault?.kind === 'code-delivery-failure' && upstream.status === 200) {
      return reply(400, awsError('CodeDeliveryFailureException', 'Unable to deliver the message'))
    }
    reply(upstream.status, upstream.body, String(upstream.headers['content-type'] ?? AMZ_JSON))
  }

  const server = http.createServer((req, res) => {
    const work = handle(req, res).catch(() => {
      if (!res.destroyed) res.destroy()
    })
    inFlight.add(work)
    void work.finally(() => inFlight.delete(work))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    fail(operation, fault, options = {}) {
      faults.set(operation, { fault, remaining: options.times ?? Number.POSITIVE_INFINITY })
    },
    throttleAbove(operation, limit, windowMs = 1000) {
      throttles.set(operation, { limit, windowMs, letThrough: [] })
    },
    pageListUsers(on) {
      paging = on
    },
    reset() {
      faults.clear()
      throttles.clear()
      requests.length = 0
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight])
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await Promise.allSettled([...inFlight])
    },
  }
}

/** The most requests that arrived within any `windowMs` (a sliding window over arrival times). */
export const busiestWindow = (requests: readonly ProxiedRequest[], windowMs = 1000): number => {
  const times = requests.map((request) => request.at).sort((a, b) => a - b)
  let most = 0
  let start = 0
  for (let end = 0; end < times.length; end += 1) {
    while (times[end]! - times[start]! >= windowMs) start += 1
    most = Math.max(most, end - start + 1)
  }
  return most
}
