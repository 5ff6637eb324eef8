import type { BenchModule } from './lib/bench-module.js'
import { registrationBench } from './registration.bench.js'
import { startupBench } from './startup.bench.js'

/**
 * Every benchmark `npm run bench` knows, in the order it runs them. Issue 6's bulk-import
 * benchmark (10,000 rows against a throttled cognito-local) is not here yet: it comes with the
 * bulk-import feature, as one more `BenchModule` in this list.
 */
export const benches: readonly BenchModule[] = [registrationBench, startupBench]
