import { bulkImportBench } from './bulk-import.bench.js'
import { embeddedBench } from './embedded.bench.js'
import type { BenchModule } from './lib/bench-module.js'
import { registrationBench } from './registration.bench.js'
import { sideBySideBench } from './side-by-side.bench.js'
import { startupBench } from './startup.bench.js'

/** Every benchmark `npm run bench` knows, in the order it runs them. */
export const benches: readonly BenchModule[] = [
  registrationBench,
  sideBySideBench,
  bulkImportBench,
  startupBench,
  embeddedBench,
]
