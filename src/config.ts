import path from 'node:path'
import { type Static, Type } from 'typebox'
import { Compile } from 'typebox/compile'
import { ConfigError } from './config-error.js'
import { isUrl, optionalNumber } from './config-values.js'
import { parseWebOrigin, uniqueOrigins } from './domain/web-origin.js'
import { EmailAddress } from './http/email-address.schema.js'
import {
  type AuthBackend,
  authBackends,
  type IdentityConfig,
  identityAdapters,
  isAuthBackend,
  parseIdentityConfig,
} from './identity/identity-adapters.js'
import type { SagaOptions } from './saga-options.js'

export { ConfigError } from './config-error.js'
export type { AuthBackend } from './identity/identity-adapters.js'

const booleanWords = '^(true|false|1|0|yes|no|on|off)$'

/** The variables every backend reads (SPEC §2): all strings, all optional. */
const SharedEnvironment = Type.Object({
  PORT: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$', description: 'an integer 0–65535' })),
  HOST: Type.Optional(Type.String({ minLength: 1, description: 'a host name or address' })),
  DATABASE_URL: Type.Optional(Type.String({ description: 'a postgres:// or postgresql:// URL' })),
  DATA_DIR: Type.Optional(Type.String({ minLength: 1, description: 'a directory path' })),
  AUTH_BACKEND: Type.Optional(
    Type.Union(
      authBackends.map((backend) => Type.Literal(backend)),
      { description: `one of ${authBackends.join(', ')}` },
    ),
  ),
  FLIP_ADMIN_EMAIL: Type.Optional(EmailAddress({ description: 'an email address' })),
  ENFORCE_MFA: Type.Optional(Type.String({ pattern: booleanWords, description: 'true or false' })),
  LOG_LEVEL: Type.Optional(
    Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
      { description: 'a pino level (fatal … trace, silent)' },
    ),
  ),
  REGISTRATION_LEASE_SECONDS: Type.Optional(
    Type.String({ pattern: '^[1-9][0-9]{0,4}$', description: 'whole seconds (1–99999)' }),
  ),
  REGISTRATION_SWEEP_SECONDS: Type.Optional(
    Type.String({ pattern: '^[1-9][0-9]{0,4}$', description: 'whole seconds (1–99999)' }),
  ),
  REGISTRATION_COMPENSATION_ATTEMPTS: Type.Optional(
    Type.String({ pattern: '^[1-9][0-9]{0,2}$', description: 'a whole number (1–999)' }),
  ),
  METRICS_TOKEN: Type.Optional(
    Type.String({
      pattern: '^[\\x21-\\x7E]{16,}$',
      description: 'at least 16 printable characters, no spaces',
    }),
  ),
  CORS_ALLOWED_ORIGINS: Type.Optional(
    Type.String({ description: 'comma-separated origins like https://flip.example.org' }),
  ),
  ACCOUNT_STATUS_CACHE_SECONDS: Type.Optional(
    Type.String({ pattern: '^[0-9]{1,5}$', description: 'whole seconds (0–99999)' }),
  ),
  ACCESS_REQUESTS_PER_HOUR: Type.Optional(
    Type.String({ pattern: '^[1-9][0-9]{0,5}$', description: 'a whole number of requests (1–999999)' }),
  ),
})
type SharedEnvironment = Static<typeof SharedEnvironment>

/**
 * The environment as the service reads it: the shared variables and each identity adapter's own
 * (`identity/<provider>/<provider>-config.ts`). Every variable is checked, whichever backend is
 * chosen, so a typo in an unused one is still named.
 */
export const Environment = Type.Object({
  ...SharedEnvironment.properties,
  ...Object.assign({}, ...Object.values(identityAdapters).map((adapter) => adapter.environment.properties)),
})

export interface Config {
  port: number
  host: string
  databaseUrl: string | undefined
  dataDir: string
  /** AUTH_BACKEND and that provider's own settings, parsed by its folder under `identity/`. */
  identity: IdentityConfig
  adminEmail: string | undefined
  enforceMfa: boolean
  logLevel: string
  /**
   * The web origins browsers may call the API from (CORS), as `scheme://host[:port]`. Unset means
   * the identity adapter's (Cognito: its app client's URLs), and none means CORS off.
   */
  corsAllowedOrigins?: readonly string[] | undefined
  /**
   * How long an account's enabled state, read from the IdP, is trusted (default 60 s; 0 reads it
   * on every request). An adapter that reads it cheaply (`local`) always reads it per request.
   */
  accountStatusCacheSeconds: number
  /** Public access requests accepted per client address per hour; unset means the route's default. */
  accessRequestsPerHour?: number | undefined
  /** The bearer token `/metrics` requires; unset, `/metrics` is public. */
  metricsToken?: string | undefined
  /** Saga tuning; unset fields take the saga's defaults. */
  registration: Partial<SagaOptions>
}

const checkEnvironment = Compile(Environment)

/** CORS_ALLOWED_ORIGINS: each entry an origin (scheme://host[:port]), normalised as browsers send it. */
const parseOriginList = (value: string | undefined, problems: string[]): string[] | undefined => {
  if (value === undefined) return undefined
  // A stray comma (`a,b,`) leaves an empty entry, which names nothing: skip it.
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
  const bad = entries.filter((entry) => parseWebOrigin(entry) === undefined)
  if (bad.length > 0) {
    const shown = bad.map((entry) => JSON.stringify(entry)).join(', ')
    problems.push(
      `CORS_ALLOWED_ORIGINS must be comma-separated origins like https://flip.example.org (not ${shown})`,
    )
    return undefined
  }
  return uniqueOrigins(entries.map(parseWebOrigin))
}

const parseBoolean = (value: string): boolean => ['true', '1', 'yes', 'on'].includes(value.toLowerCase())

/** Reads only the variables the schema knows, treating empty strings as unset (as FLIP does). */
const pickEnvironment = (source: NodeJS.ProcessEnv): Record<string, string> => {
  const picked: Record<string, string> = {}
  for (const name of Object.keys(Environment.properties)) {
    const value = source[name]
    if (value === undefined || value.trim() === '') continue
    picked[name] = name === 'ENFORCE_MFA' ? value.trim().toLowerCase() : value.trim()
  }
  return picked
}

/**
 * Parses and validates the environment once, at start. Collects every problem before failing so
 * an operator fixes a deployment in one go.
 *
 * @throws ConfigError naming each bad or missing variable.
 */
export const loadConfig = (source: NodeJS.ProcessEnv = process.env): Config => {
  const raw = pickEnvironment(source)
  const problems: string[] = []
  for (const error of checkEnvironment.Errors(raw)) {
    const name = error.instancePath.replace(/^\//, '')
    const property = Environment.properties[name as keyof typeof Environment.properties] as
      | { description?: string }
      | undefined
    if (name && !problems.some((p) => p.startsWith(`${name} `))) {
      problems.push(`${name} must be ${property?.description ?? 'valid'}`)
    }
  }
  const env = raw as SharedEnvironment
  const port = env.PORT === undefined ? 8000 : Number(env.PORT)
  if (env.PORT !== undefined && port > 65535) problems.push('PORT must be an integer 0–65535')
  if (env.DATABASE_URL !== undefined && !isUrl(env.DATABASE_URL, ['postgres:', 'postgresql:'])) {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL')
  }

  const corsAllowedOrigins = parseOriginList(env.CORS_ALLOWED_ORIGINS, problems)

  // An unknown AUTH_BACKEND is already a problem above; `local` only lets parsing go on.
  const backend: AuthBackend =
    env.AUTH_BACKEND !== undefined && isAuthBackend(env.AUTH_BACKEND) ? env.AUTH_BACKEND : 'local'
  const identity = parseIdentityConfig(backend, raw, problems)
  const defaults = identityAdapters[backend].defaults
  const isDuplicate = (problem: string, index: number, all: string[]) => all.indexOf(problem) === index
  if (problems.length > 0) throw new ConfigError(problems.filter(isDuplicate))

  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    databaseUrl: env.DATABASE_URL,
    dataDir: path.resolve(env.DATA_DIR ?? './.flip-users'),
    identity,
    adminEmail: env.FLIP_ADMIN_EMAIL ?? defaults.adminEmail,
    enforceMfa: env.ENFORCE_MFA === undefined ? defaults.enforceMfa : parseBoolean(env.ENFORCE_MFA),
    logLevel: env.LOG_LEVEL ?? 'info',
    accessRequestsPerHour: optionalNumber(env.ACCESS_REQUESTS_PER_HOUR),
    accountStatusCacheSeconds: Number(env.ACCOUNT_STATUS_CACHE_SECONDS ?? 60),
    corsAllowedOrigins,
    metricsToken: env.METRICS_TOKEN,
    registration: {
      ...(env.REGISTRATION_LEASE_SECONDS ? { leaseSeconds: Number(env.REGISTRATION_LEASE_SECONDS) } : {}),
      ...(env.REGISTRATION_SWEEP_SECONDS ? { sweepSeconds: Number(env.REGISTRATION_SWEEP_SECONDS) } : {}),
      ...(env.REGISTRATION_COMPENSATION_ATTEMPTS
        ? { compensationBudget: Number(env.REGISTRATION_COMPENSATION_ATTEMPTS) }
        : {}),
    },
  }
}
