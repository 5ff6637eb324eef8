/**
 * The layering of src/, checked by test/guards/import-graph.test.ts (and `npx depcruise src`).
 * Type-only imports count: a type cycle still means two modules cannot be understood apart.
 *
 * @type {import('dependency-cruiser').IConfiguration}
 */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules that import each other in a loop: move the shared part to the lower one.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'adapters-stay-below-use-cases',
      severity: 'error',
      comment:
        'Identity adapters, repositories and the database are built on by use cases, HTTP and the CLI, never the other way.',
      from: { path: '^src/(identity|repositories|db)/' },
      to: { path: '^src/(features|http|cli)/' },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment:
        'domain/ holds types and rules only: it imports other domain files and nothing with I/O (no node builtins, no packages, no other folder of src/).',
      from: { path: '^src/domain/' },
      to: { pathNot: '^src/domain/' },
    },
    {
      name: 'errors-import-only-errors-and-domain',
      severity: 'error',
      comment: 'The error catalogue is at the bottom of the house: every layer may throw its errors.',
      from: { path: '^src/errors/' },
      to: { pathNot: '^src/(errors|domain)/' },
    },
  ],
  options: {
    // Production code only: a test may import anything it tests. The console page is a browser
    // bundle with its own tsconfig; its imports are still read, relative ones resolve without it.
    exclude: { path: ['\\.test\\.ts$', '^src/.*/__fixtures__/'] },
    doNotFollow: { path: ['node_modules'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mjs', '.js', '.d.ts'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
}
