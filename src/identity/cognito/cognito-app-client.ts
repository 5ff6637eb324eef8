import {
  CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
} from '@aws-sdk/client-cognito-identity-provider'
import { ConfigError } from '../../config-error.js'
import { uniqueOrigins, webOriginOf } from '../../domain/web-origin.js'
import { IdentityProviderError } from '../identity-errors.js'
import { type CognitoConfig, cognitoClientConfig } from './cognito-config.js'
import { translateCognitoError } from './cognito-errors.js'

/**
 * The web origins FLIP's UI is served from, derived as FLIP derives them: the app client's
 * `CallbackURLs` then `LogoutURLs` (DescribeUserPoolClient), each reduced to
 * `scheme://host[:port]` with the default port dropped, each once, in that order. URLs that no
 * browser page has an origin for (an app's own scheme) are left out. Read once, at start.
 *
 * @throws IdentityProviderError Unavailable or Throttled when Cognito does not answer;
 *   ConfigError when it refuses (an unknown app client, no permission), saying how to do without
 *   the call.
 */
export const describeAppClientOrigins = async (
  cognito: Pick<
    CognitoConfig,
    'region' | 'endpoint' | 'timeoutMs' | 'connectTimeoutMs' | 'userPoolId' | 'appClientId'
  >,
): Promise<string[]> => {
  const client = new CognitoIdentityProviderClient(cognitoClientConfig(cognito))
  try {
    const { UserPoolClient: appClient } = await client.send(
      new DescribeUserPoolClientCommand({ UserPoolId: cognito.userPoolId, ClientId: cognito.appClientId }),
    )
    return uniqueOrigins(
      [...(appClient?.CallbackURLs ?? []), ...(appClient?.LogoutURLs ?? [])].map(webOriginOf),
    )
  } catch (error) {
    const { reason } = translateCognitoError(error, 'describe app client')
    if (reason === 'Unavailable' || reason === 'Throttled') {
      throw new IdentityProviderError(
        reason,
        'Cognito did not answer DescribeUserPoolClient, which derives the CORS origins while CORS_ALLOWED_ORIGINS is unset',
        { cause: error },
      )
    }
    // An unknown app client or a missing permission: the deployment's to fix, like any other
    // configuration error, and the operator reads it at start (the exception name helps there).
    const name = error instanceof Error ? error.name : 'an error'
    throw new ConfigError([
      `CORS_ALLOWED_ORIGINS is unset and Cognito refused DescribeUserPoolClient for AWS_COGNITO_APP_CLIENT_ID (${name}): set CORS_ALLOWED_ORIGINS, or check the app client id and allow cognito-idp:DescribeUserPoolClient`,
    ])
  } finally {
    client.destroy()
  }
}
