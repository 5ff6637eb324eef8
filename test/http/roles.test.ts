import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, createAdmin, createViewer, tokenFor } from '../support/factories.js'
import { createTestApp, type TestApp } from '../support/test-app.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

describe.each(databaseTargets())('GET /api/roles on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    let t: TestApp
    beforeAll(async () => {
      t = await createTestApp(database())
    })
    afterAll(async () => {
      await t.close()
    })

    it('lists every seeded role with FLIP keys, ordered by name, for an admin', async () => {
      const admin = await createAdmin(t.deps)
      const response = await t.app.inject({
        url: '/api/roles',
        headers: bearer(await tokenFor(t.deps, admin)),
      })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({
        roles: [
          {
            id: '64d3145b-034c-4328-b637-8eb54313b7c5',
            rolename: 'Admin',
            roledescription: 'A role for administrators.',
          },
          {
            id: '10b64ed0-bc90-4c01-9cc3-933c704905c1',
            rolename: 'Researcher',
            roledescription: 'A researcher role, used as the default role with minimal permissions.',
          },
          {
            id: '8a3d6f14-9b52-4e07-a6c8-1d4f7b2e9053',
            rolename: 'Trust Admin',
            roledescription: expect.any(String),
          },
          {
            id: 'cdee79c9-a5e1-4b9e-a315-1ec2f3d29efe',
            rolename: 'Viewer',
            roledescription:
              'Read-only access to assigned projects. Cannot create, edit, or delete resources.',
          },
        ],
      })
    })

    it('refuses a Viewer with 403 and FLIP detail', async () => {
      const viewer = await createViewer(t.deps)
      const response = await t.app.inject({
        url: '/api/roles',
        headers: bearer(await tokenFor(t.deps, viewer)),
      })
      expect(response.statusCode).toBe(403)
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(response.json()).toMatchObject({
        status: 403,
        detail: `User with ID: ${viewer.id} does not have permission`,
      })
    })

    it('refuses a caller without a token with 401 and WWW-Authenticate', async () => {
      const response = await t.app.inject({ url: '/api/roles' })
      expect(response.statusCode).toBe(401)
      expect(response.headers['www-authenticate']).toBe('Bearer')
      expect(response.json()).toMatchObject({ status: 401, detail: 'Could not validate credentials' })
    })

    it('refuses a user whose only grants are held at a trust', async () => {
      const admin = await createAdmin(t.deps)
      await database().db.execute(
        sql`WITH t AS (INSERT INTO trust (name) VALUES ('T') RETURNING id) UPDATE user_role SET trust_id = (SELECT id FROM t) WHERE user_id = ${admin.id}`,
      )
      const response = await t.app.inject({
        url: '/api/roles',
        headers: bearer(await tokenFor(t.deps, admin)),
      })
      expect(response.statusCode).toBe(403)
    })
  })
})
