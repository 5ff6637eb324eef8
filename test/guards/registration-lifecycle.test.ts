import { readFile } from 'node:fs/promises'
import { sql } from 'drizzle-orm'
import { getTableConfig } from 'drizzle-orm/pg-core'
import { describe, expect, it } from 'vitest'
import { registration } from '../../src/db/schema/registrations.js'
import {
  activeStates,
  activeStatesCondition,
  isAllowedTransition,
  lifecycleDiagram,
  registrationKinds,
  registrationStates,
  transitions,
} from '../../src/domain/registration-state.js'
import {
  createRegistrationsRepository,
  UnknownTransitionError,
} from '../../src/repositories/registrations-repository.js'
import { rowsOf } from '../support/sql-rows.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

// The lifecycle is declared once (domain/registration-state.ts); these keep what is derived from
// it in step: the docs' diagram, the schema's index, the migrated index, and the repository's check.
describe('the registration lifecycle, declared once', () => {
  it('is the diagram docs/registration-saga.md shows', async () => {
    const doc = await readFile(new URL('../../docs/registration-saga.md', import.meta.url), 'utf8')
    const block = /<!-- lifecycle:begin[^>]*-->\n```mermaid\n([\s\S]*?)\n```\n<!-- lifecycle:end -->/.exec(
      doc,
    )
    expect(block?.[1], 'regenerate the block from lifecycleDiagram()').toBe(lifecycleDiagram())
  })

  it('gives the schema its active-email index condition', () => {
    const index = getTableConfig(registration).indexes.find(
      (candidate) => candidate.config.name === 'uq_registration_active_email',
    )
    const where = index?.config.where as { queryChunks?: unknown[] } | undefined
    expect(JSON.stringify(where?.queryChunks)).toContain(activeStatesCondition())
  })

  it('names only declared states, reaches every state, and leaves final states for good', () => {
    for (const rule of transitions) {
      if (rule.from !== null) expect(registrationStates).toContain(rule.from)
      expect(registrationStates).toContain(rule.to)
      for (const kind of rule.kinds) expect(registrationKinds).toContain(kind)
    }
    for (const state of registrationStates) expect(transitions.some((rule) => rule.to === state)).toBe(true)
    const finals = registrationStates.filter((state) => !transitions.some((rule) => rule.from === state))
    expect(finals.sort()).toEqual(['completed', 'deleted', 'failed', 'rolled_back'])
  })
})

describe.each(databaseTargets())('the lifecycle on a migrated $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)

    it('has the index the lifecycle derives, as migrated', async () => {
      const [index] = await rowsOf<{ indexdef: string }>(
        database(),
        sql`SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_registration_active_email'`,
      )
      for (const state of activeStates) expect(index?.indexdef).toContain(`'${state}'`)
      const quoted = index?.indexdef.match(/'[a-z_]+'/g) ?? []
      expect(quoted.map((text) => text.slice(1, -1)).sort()).toEqual([...activeStates].sort())
    })

    it('refuses a transition the lifecycle does not have, writing nothing', async () => {
      const registrations = createRegistrationsRepository(database().db)
      const record = await registrations.insert(
        {
          email: 'lifecycle@example.org',
          emailNormalised: 'lifecycle@example.org',
          name: 'L',
          organisation: 'O',
          roleIds: [],
          trustId: null,
          requestedBy: '00000000-0000-4000-8000-000000000001',
          idempotencyKey: null,
          requestHash: '',
        },
        'test',
      )
      expect(isAllowedTransition('register', 'pending', 'completed')).toBe(false)
      await expect(
        registrations.transition(record, { from: 'pending', to: 'completed', actor: 'test', reason: 'skip' }),
      ).rejects.toBeInstanceOf(UnknownTransitionError)
      await expect(
        registrations.transition(record, {
          from: 'pending',
          to: 'deleted',
          actor: 'test',
          reason: 'wrong kind',
        }),
      ).rejects.toBeInstanceOf(UnknownTransitionError)
      expect((await registrations.findById(record.id))?.state).toBe('pending')
      expect(await registrations.events(record.id)).toHaveLength(1)
    })
  })
})
