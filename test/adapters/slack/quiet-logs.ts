// Imported first by the harness: module-level loggers bind to the root logger when their
// module loads, so the level must be set before any adapter module is imported.
import { configureLogger } from '../../../src/log.ts';

configureLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
