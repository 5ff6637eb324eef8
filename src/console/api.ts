/** The service's JSON API as the console calls it: a bearer token on every call, problems in words. */

/** An answer that was not 2xx, with the problem's `detail` as its message. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string | undefined
  readonly retryAfterSeconds: number | undefined
  constructor(status: number, detail: string, code?: string, retryAfterSeconds?: number) {
    super(detail)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.retryAfterSeconds = retryAfterSeconds
  }
}

const detailOf = async (response: Response): Promise<{ detail: string; code?: string }> => {
  const fallback = `The service answered ${response.status} ${response.statusText}`.trim()
  try {
    const body = (await response.json()) as { detail?: unknown; code?: unknown }
    const detail = typeof body.detail === 'string' && body.detail !== '' ? body.detail : fallback
    return typeof body.code === 'string' ? { detail, code: body.code } : { detail }
  } catch {
    return { detail: fallback }
  }
}

export interface Api {
  get<T>(path: string, query?: URLSearchParams): Promise<T>
  send<T>(method: 'POST' | 'PUT' | 'PATCH', path: string, body?: unknown): Promise<T>
}

/**
 * @param token the current access token, read at each call
 * @param onUnauthenticated called on a 401 (the session ended) before the error is thrown
 */
export const createApi = (token: () => string | undefined, onUnauthenticated: () => void): Api => {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = { accept: 'application/json' }
    const bearer = token()
    if (bearer) headers.authorization = `Bearer ${bearer}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    let response: Response
    try {
      response = await fetch(path, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    } catch {
      throw new ApiError(0, 'The service could not be reached: check the network and try again.')
    }
    if (response.ok) return (response.status === 204 ? undefined : await response.json()) as T
    const { detail, code } = await detailOf(response)
    const retryAfter = Number(response.headers.get('retry-after'))
    if (response.status === 401) onUnauthenticated()
    throw new ApiError(response.status, detail, code, Number.isFinite(retryAfter) ? retryAfter : undefined)
  }
  return {
    get: (path, query) => call('GET', query && query.size > 0 ? `${path}?${query}` : path),
    send: (method, path, body) => call(method, path, body),
  }
}

/** An error as the operator reads it: the API's own words, and how long to wait when it said. */
export const describeError = (error: unknown, doing: string): string => {
  if (error instanceof ApiError) {
    const wait = error.retryAfterSeconds ? ` Try again in ${error.retryAfterSeconds} s.` : ''
    return `Could not ${doing}: ${error.message}${/[.!?]$/.test(error.message) ? '' : '.'}${wait}`
  }
  return `Could not ${doing}: ${error instanceof Error ? error.message : String(error)}`
}
