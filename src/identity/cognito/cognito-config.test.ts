import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../config.js'
import { COGNITO_DEFAULT_RATES, cognitoRates, parseCognitoConfig } from './cognito-config.js'

const cognitoEnv = {
  AUTH_BACKEND: 'cognito',
  AWS_REGION: 'eu-west-2',
  AWS_COGNITO_USER_POOL_ID: 'eu-west-2_TESTPOOL',
  AWS_COGNITO_APP_CLIENT_ID: 'client123',
}

describe("a process's share of Cognito's quotas", () => {
  it("paces one process at Cognito's default quotas", () => {
    expect(cognitoRates(parseCognitoConfig(cognitoEnv, []))).toEqual(COGNITO_DEFAULT_RATES)
  })

  it('divides the account quota among SERVICE_REPLICAS processes, so together they never exceed it', () => {
    const rates = cognitoRates(
      parseCognitoConfig({ ...cognitoEnv, SERVICE_REPLICAS: '4', COGNITO_RATE_CREATE: '50' }, []),
    )
    expect(rates.create).toBe(12.5)
    expect(rates.list * 4).toBeCloseTo(COGNITO_DEFAULT_RATES.list)
    expect(rates.write * 4).toBeCloseTo(COGNITO_DEFAULT_RATES.write)
  })

  it('refuses a replica count that is not a positive whole number, naming the variable', () => {
    expect(() => loadConfig({ ...cognitoEnv, SERVICE_REPLICAS: '0' })).toThrow(/SERVICE_REPLICAS/)
  })
})
