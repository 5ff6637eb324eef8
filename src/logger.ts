import pino, { type Logger } from 'pino'

/** JSON logs on stdout. Tokens and the Authorization header never reach them. */
export const createLogger = (level: string): Logger =>
  pino({
    level,
    redact: { paths: ['req.headers.authorization', 'token', '*.token'], censor: '[redacted]' },
  })
