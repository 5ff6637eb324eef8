import pino, { type Logger } from 'pino'

/**
 * JSON logs. The server logs on stdout; CLI commands log on stderr so their stdout carries only
 * what they print (a token, JSON, a table). Tokens and the Authorization header never reach them.
 */
export const createLogger = (level: string, stream: 'stdout' | 'stderr' = 'stdout'): Logger =>
  pino(loggerOptions(level), pino.destination(stream === 'stdout' ? 1 : 2))

/** The service's pino options (level, redaction), for a logger on another destination (tests). */
export const loggerOptions = (level: string): pino.LoggerOptions => ({
  level,
  redact: { paths: ['req.headers.authorization', 'token', '*.token'], censor: '[redacted]' },
  serializers: { req: requestForLog },
})

// Query parameters whose values are credentials when a client puts them in a URL by mistake
// (`?token=…`, `?access_token=…`, a one-time `?code=…`): the request line keeps their names only.
const SECRET_PARAMETER = /token|code|secret|password|passwd|key|signature|credential|auth/i

/** A URL for the log: the path as is, secret-looking query values replaced. */
export const redactUrl = (url: string): string => {
  const at = url.indexOf('?')
  if (at < 0) return url
  const query = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const [name = ''] = pair.split('=', 1)
      let decoded = name
      try {
        decoded = decodeURIComponent(name)
      } catch {}
      return SECRET_PARAMETER.test(decoded) && pair.includes('=') ? `${name}=[redacted]` : pair
    })
  return `${url.slice(0, at)}?${query.join('&')}`
}

/** Fastify's request summary (method, url, host, peer), with the URL's secrets removed. */
const requestForLog = (request: {
  method?: string
  url?: string
  host?: string
  hostname?: string
  ip?: string
  socket?: { remoteAddress?: string }
}) => ({
  method: request.method,
  url: redactUrl(request.url ?? ''),
  host: request.host ?? request.hostname,
  remoteAddress: request.ip ?? request.socket?.remoteAddress,
})

/** A CLI command's logger: quieter than the server's (info becomes warn), on stderr. */
export const createCliLogger = (level: string): Logger =>
  createLogger(level === 'info' ? 'warn' : level, 'stderr')
