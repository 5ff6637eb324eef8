import path from 'node:path'
import { type Static, Type } from 'typebox'
import { Compile } from 'typebox/compile'
import { parseWebOrigin, uniqueOrigins } from './domain/web-origin.js'
import { EmailAddress } from './http/email-address.schema.js'

const booleanWords = '^(true|false|1|0|yes|no|on|off)$'
const positiveInteger = '^(?!0+$)[0-9]{1,7}$'
const positiveRate = '^(?!0*(\\.0*)?$)[0-9]{1,5}(\\.[0-9]{1,3})?$'

/** The environment as the service reads it: every variable in SPEC §2, all strings, all optional. */
export const Environment = Type.Object({
  PORT: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$', description: 'an integer 0–65535' })),
  HOST: Type.Optional(Type.String({ minLength: 1, description: 'a host name or address' })),
  DATABASE_URL: Type.Optional(Type.String({ description: 'a postgres:// or postgresql:// URL' })),
  DATA_DIR: Type.Optional(Type.String({ minLength: 1, description: 'a directory path' })),
  AUTH_BACKEND: Type.Optional(
    Type.Union([Type.Literal('local'), Type.Literal('cognito'), Type.Literal('keycloak')], {
      description: 'one of local, cognito, keycloak',
    }),
  ),
  AWS_REGION: Type.Optional(
    Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]+$', description: 'an AWS region' }),
  ),
  AWS_COGNITO_USER_POOL_ID: Type.Optional(
    Type.String({ pattern: '^[\\w-]+_[0-9a-zA-Z]+$', description: 'a user pool id like eu-west-2_AbC123' }),
  ),
  AWS_COGNITO_APP_CLIENT_ID: Type.Optional(
    Type.String({ pattern: '^[\\w+]+$', description: 'an app client id' }),
  ),
  COGNITO_ENDPOINT: Type.Optional(Type.String({ description: 'an http(s) URL' })),
  COGNITO_ISSUER: Type.Optional(Type.String({ description: 'an http(s) URL' })),
  COGNITO_DOMAIN: Type.Optional(
    Type.String({
      description: "the Hosted UI's https URL, like https://flip.auth.eu-west-2.amazoncognito.com",
    }),
  ),
  COGNITO_TIMEOUT_MS: Type.Optional(
    Type.String({ pattern: positiveInteger, description: 'milliseconds (> 0)' }),
  ),
  COGNITO_CONNECT_TIMEOUT_MS: Type.Optional(
    Type.String({ pattern: positiveInteger, description: 'milliseconds (> 0)' }),
  ),
  // The account's quota per category (calls per second); SERVICE_REPLICAS processes share it.
  COGNITO_RATE_CREATE: Type.Optional(
    Type.String({ pattern: positiveRate, description: 'calls per second (> 0)' }),
  ),
  COGNITO_RATE_LIST: Type.Optional(
    Type.String({ pattern: positiveRate, description: 'calls per second (> 0)' }),
  ),
  COGNITO_RATE_READ: Type.Optional(
    Type.String({ pattern: positiveRate, description: 'calls per second (> 0)' }),
  ),
  COGNITO_RATE_WRITE: Type.Optional(
    Type.String({ pattern: positiveRate, description: 'calls per second (> 0)' }),
  ),
  SERVICE_REPLICAS: Type.Optional(
    Type.String({ pattern: '^[1-9][0-9]{0,3}$', description: 'a whole number of processes (1–9999)' }),
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
  LOCAL_TOKEN_ISSUER: Type.Optional(Type.String({ minLength: 1, description: 'a token issuer' })),
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
export type Environment = Static<typeof Environment>

export type AuthBackend = 'local' | 'cognito' | 'keycloak'

export interface CognitoConfig {
  region: string
  userPoolId: string
  appClientId: string
  endpoint: string | undefined
  issuer: string
  /** COGNITO_DOMAIN: the Hosted UI's base URL; set, the console signs in there (PKCE). */
  hostedUiDomain?: string | undefined
  /** Unset means the adapter's defaults (cognito-config.ts). */
  timeoutMs?: number | undefined
  connectTimeoutMs?: number | undefined
  /** The account's calls per second per category; unset means Cognito's default quotas. */
  rateCreate?: number | undefined
  rateList?: number | undefined
  rateRead?: number | undefined
  rateWrite?: number | undefined
  /**
   * How many service processes share the account's quota (SPEC §7): each paces at 1/replicas of
   * it, so N processes together never exceed the quota. Unset means 1.
   */
  replicas?: number | undefined
}

export interface Config {
  port: number
  host: string
  databaseUrl: string | undefined
  dataDir: string
  authBackend: AuthBackend
  cognito: CognitoConfig | undefined
  adminEmail: string | undefined
  enforceMfa: boolean
  logLevel: string
  localTokenIssuer: string
  /**
   * The web origins browsers may call the API from (CORS), as `scheme://host[:port]`. Unset means
   * derived from the Cognito app client with AUTH_BACKEND=cognito, and CORS off otherwise.
   */
  corsAllowedOrigins?: readonly string[] | undefined
  /**
   * How long a Cognito account's enabled state, read from the IdP, is trusted (default 60 s; 0
   * reads it on every request). `local` always reads it per request.
   */
  accountStatusCacheSeconds: number
  /** Public access requests accepted per client address per hour; unset means the route's default. */
  accessRequestsPerHour?: number | undefined
  /** The bearer token `/metrics` requires; unset, `/metrics` is public. */
  metricsToken?: string | undefined
  /** Saga tuning; unset fields take the saga's defaults. */
  registration: { leaseSeconds?: number; compensationBudget?: number; sweepSeconds?: number }
}

/** Thrown when the environment is unusable; its message names every bad variable on one line. */
export class ConfigError extends Error {
  readonly problems: readonly string[]
  constructor(problems: readonly string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

const checkEnvironment = Compile(Environment)

const isUrl = (value: string, protocols: readonly string[]): boolean => {
  try {
    return protocols.includes(new URL(value).protocol)
  } catch {
    return false
  }
}

const optionalNumber = (value: string | undefined): number | undefined =>
  value === undefined ? undefined : Number(value)

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
  const env = raw as Environment
  const port = env.PORT === undefined ? 8000 : Number(env.PORT)
  if (env.PORT !== undefined && port > 65535) problems.push('PORT must be an integer 0–65535')
  if (env.DATABASE_URL !== undefined && !isUrl(env.DATABASE_URL, ['postgres:', 'postgresql:'])) {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL')
  }
  if (env.COGNITO_DOMAIN !== undefined && !isUrl(env.COGNITO_DOMAIN, ['https:']))
    problems.push("COGNITO_DOMAIN must be the Hosted UI's https URL")
  for (const name of ['COGNITO_ENDPOINT', 'COGNITO_ISSUER'] as const) {
    const value = env[name]
    if (value !== undefined && !isUrl(value, ['http:', 'https:']))
      problems.push(`${name} must be an http(s) URL`)
  }

  const corsAllowedOrigins = parseOriginList(env.CORS_ALLOWED_ORIGINS, problems)

  const authBackend = env.AUTH_BACKEND ?? 'local'
  let cognito: CognitoConfig | undefined
  if (authBackend === 'cognito') {
    for (const name of ['AWS_REGION', 'AWS_COGNITO_USER_POOL_ID', 'AWS_COGNITO_APP_CLIENT_ID'] as const) {
      if (env[name] === undefined) problems.push(`${name} is required when AUTH_BACKEND=cognito`)
    }
    const region = env.AWS_REGION ?? ''
    const userPoolId = env.AWS_COGNITO_USER_POOL_ID ?? ''
    cognito = {
      region,
      userPoolId,
      appClientId: env.AWS_COGNITO_APP_CLIENT_ID ?? '',
      endpoint: env.COGNITO_ENDPOINT,
      issuer: (env.COGNITO_ISSUER ?? `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`).replace(
        /\/+$/,
        '',
      ),
      hostedUiDomain: env.COGNITO_DOMAIN?.replace(/\/+$/, ''),
      timeoutMs: optionalNumber(env.COGNITO_TIMEOUT_MS),
      connectTimeoutMs: optionalNumber(env.COGNITO_CONNECT_TIMEOUT_MS),
      rateCreate: optionalNumber(env.COGNITO_RATE_CREATE),
      rateList: optionalNumber(env.COGNITO_RATE_LIST),
      rateRead: optionalNumber(env.COGNITO_RATE_READ),
      rateWrite: optionalNumber(env.COGNITO_RATE_WRITE),
      replicas: optionalNumber(env.SERVICE_REPLICAS),
    }
  }
  if (authBackend === 'keycloak') {
    problems.push('AUTH_BACKEND=keycloak is not supported yet (use local or cognito)')
  }
  const isDuplicate = (problem: string, index: number, all: string[]) => all.indexOf(problem) === index
  if (problems.length > 0) throw new ConfigError(problems.filter(isDuplicate))

  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    databaseUrl: env.DATABASE_URL,
    dataDir: path.resolve(env.DATA_DIR ?? './.flip-users'),
    authBackend,
    cognito,
    // The local backend always has a bootstrap admin so `npm start` hands out a working token;
    // against a real IdP an operator must name one.
    adminEmail: env.FLIP_ADMIN_EMAIL ?? (authBackend === 'local' ? 'admin@flip.local' : undefined),
    enforceMfa: env.ENFORCE_MFA === undefined ? authBackend !== 'local' : parseBoolean(env.ENFORCE_MFA),
    logLevel: env.LOG_LEVEL ?? 'info',
    localTokenIssuer: env.LOCAL_TOKEN_ISSUER ?? 'flip-users',
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
