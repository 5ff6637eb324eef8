import pino, { type Logger } from 'pino'

/**
 * JSON logs. The server logs on stdout; CLI commands log on stderr so their stdout carries only
 * what they print (a token, JSON, a table). Tokens and the Authorization header never reach them.
 */
export const createLogger = (level: string, stream: 'stdout' | 'stderr' = 'stdout'): Logger =>
  pino(
    { level, redact: { paths: ['req.headers.authorization', 'token', '*.token'], censor: '[redacted]' } },
    pino.destination(stream === 'stdout' ? 1 : 2),
  )

/** A CLI command's logger: quieter than the server's (info becomes warn), on stderr. */
export const createCliLogger = (level: string): Logger =>
  createLogger(level === 'info' ? 'warn' : level, 'stderr')
