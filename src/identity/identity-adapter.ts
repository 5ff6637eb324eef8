import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose'
import type { Logger } from 'pino'
import type { TObject } from 'typebox'
import type { LocalTokenIssuer } from '../auth/local-token-issuer.js'
import type { TokenRules } from '../auth/token-rules.js'
import type { Database } from '../db/database.js'
import type { Clock } from '../domain/clock.js'
import type { Metrics } from '../metrics/metrics.js'
import type { IdentityProvider } from './identity-provider.js'

/** What every adapter's builder is given: the process's shared pieces, built before it. */
export interface IdentityAdapterDeps {
  database: Database
  clock: Clock
  log: Logger
  metrics: Metrics
}

/** The service's own token issuing, which only a provider without its own sign-in has. */
export interface LocalTokens {
  issuer: LocalTokenIssuer
  /** Every key that verifies, as served at `/.well-known/jwks.json`. */
  jwks: JSONWebKeySet
}

/** Everything the composition root needs from the chosen provider. */
export interface IdentityAdapterParts {
  /** The port, with whatever decorators this provider needs (metering, pacing). */
  idp: IdentityProvider
  /** What the shared verifier (`auth/token-verifier.ts`) checks a bearer token against. */
  tokens: { keys: JWTVerifyGetKey; rules: TokenRules; keySource: string }
  localTokens: LocalTokens | undefined
  /**
   * Whether an account's enabled state may be cached for ACCOUNT_STATUS_CACHE_SECONDS. A provider
   * that reads it cheaply says no, so a disable holds at once.
   */
  accountStatusCacheable: boolean
  /** The web origins to allow when CORS_ALLOWED_ORIGINS is unset; asked once, by the HTTP app. */
  webOrigins: () => Promise<readonly string[]>
  /** Calls waiting for the provider's quota, by category, for `/metrics`. */
  pacingQueueDepth: () => Record<string, number>
}

/**
 * One identity provider, self-contained in `identity/<provider>/`: the variables it reads, how it
 * parses them, and how it is built. `identity-adapters.ts` maps AUTH_BACKEND to these.
 */
export interface IdentityAdapter<Settings> {
  /** Its variables: optional strings, checked with everyone else's before anything is parsed. */
  environment: TObject
  /** Defaults that differ by provider (an operator's variables override them). */
  defaults: {
    /** FLIP_ADMIN_EMAIL when unset. */
    adminEmail: string | undefined
    /** ENFORCE_MFA when unset. */
    enforceMfa: boolean
  }
  /**
   * Reads its settings from the environment (already checked against `environment`), pushing
   * one line to `problems` for each variable it cannot use.
   */
  parseConfig(env: Readonly<Record<string, string | undefined>>, problems: string[]): Settings
  /** Builds the provider and its token rules. @throws whatever its first calls throw */
  build(settings: Settings, deps: IdentityAdapterDeps): Promise<IdentityAdapterParts>
}
