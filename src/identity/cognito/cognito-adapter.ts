import { remoteKeySource } from '../../auth/key-sources.js'
import type { IdentityAdapter, IdentityAdapterDeps, IdentityAdapterParts } from '../identity-adapter.js'
import { createMeteredIdentityProvider } from '../metered-identity-provider.js'
import { createPacedIdentityProvider } from '../paced-identity-provider.js'
import {
  COGNITO_QUOTA_OF,
  type CognitoConfig,
  CognitoEnvironment,
  cognitoRates,
  parseCognitoConfig,
} from './cognito-config.js'
import { cognitoJwksUrl, cognitoTokenRules } from './cognito-token-rules.js'

const buildCognito = async (
  cognito: CognitoConfig,
  { metrics }: IdentityAdapterDeps,
): Promise<IdentityAdapterParts> => {
  // The AWS SDK (some 20 MB of a process's memory) is loaded only by a process that talks to
  // Cognito: with the local provider, nothing imports it.
  const [{ createCognitoIdentityProvider }, { describeAppClientOrigins }] = await Promise.all([
    import('./cognito-identity-provider.js'),
    import('./cognito-app-client.js'),
  ])
  // One paced instance per process: its limiters are this process's share of the account quota.
  // Metered inside the pacing, so each call that reaches Cognito is counted and timed once.
  const paced = createPacedIdentityProvider(
    createMeteredIdentityProvider(createCognitoIdentityProvider(cognito), metrics),
    {
      categories: COGNITO_QUOTA_OF,
      rates: cognitoRates(cognito),
      onThrottled: (category) => metrics.idpThrottled.inc({ category }),
    },
  )
  const jwks = cognitoJwksUrl(cognito)
  return {
    idp: paced,
    tokens: { keys: remoteKeySource(jwks), rules: cognitoTokenRules(cognito), keySource: jwks.href },
    // Cognito issues its own tokens.
    localTokens: undefined,
    accountStatusCacheable: true,
    // FLIP's UI origins are the app client's callback and logout URLs.
    webOrigins: () => describeAppClientOrigins(cognito),
    pacingQueueDepth: () => paced.queueDepth(),
  }
}

/** AUTH_BACKEND=cognito: one AWS Cognito user pool, paced to the account's quota. */
export const cognitoAdapter = {
  environment: CognitoEnvironment,
  // Against a real IdP an operator must name the bootstrap admin, and FLIP requires MFA.
  defaults: { adminEmail: undefined, enforceMfa: true },
  parseConfig: parseCognitoConfig,
  build: buildCognito,
} satisfies IdentityAdapter<CognitoConfig>
