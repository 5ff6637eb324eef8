import { localKeySource } from '../../auth/key-sources.js'
import { loadLocalSigningKeys } from '../../auth/local-signing-keys.js'
import { createLocalTokenIssuer } from '../../auth/local-token-issuer.js'
import type { IdentityAdapter, IdentityAdapterDeps, IdentityAdapterParts } from '../identity-adapter.js'
import { createMeteredIdentityProvider } from '../metered-identity-provider.js'
import { type LocalConfig, LocalEnvironment, parseLocalConfig } from './local-config.js'
import { createLocalIdentityProvider } from './local-identity-provider.js'
import { localTokenRules } from './local-token-rules.js'

const buildLocal = async (
  local: LocalConfig,
  { database, clock, metrics }: IdentityAdapterDeps,
): Promise<IdentityAdapterParts> => {
  const keys = await loadLocalSigningKeys(database)
  return {
    // Unpaced: `local` is our own database, with no quota to respect.
    idp: createMeteredIdentityProvider(createLocalIdentityProvider({ db: database.db, clock }), metrics),
    tokens: {
      keys: localKeySource(keys.jwks),
      rules: localTokenRules(local.tokenIssuer),
      keySource: 'local signing keys',
    },
    localTokens: {
      issuer: createLocalTokenIssuer({ keys, issuer: local.tokenIssuer, clock }),
      jwks: keys.jwks,
    },
    // `local` reads its own table per request (one indexed query), so a disable holds at once.
    accountStatusCacheable: false,
    webOrigins: async () => [],
    pacingQueueDepth: () => ({}),
  }
}

/** AUTH_BACKEND=local, the embedded default: identities and signing keys in our own database. */
export const localAdapter = {
  environment: LocalEnvironment,
  // Always a bootstrap admin, so `npm start` hands out a working token; MFA is off because
  // `local` has no second factor to enrol.
  defaults: { adminEmail: 'admin@flip.local', enforceMfa: false },
  parseConfig: parseLocalConfig,
  build: buildLocal,
} satisfies IdentityAdapter<LocalConfig>
