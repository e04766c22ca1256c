/**
 * Preload for the local Forge runtime: `node --import tsx --import ./playground/forge-runtime/register.ts ...`
 * installs the egress interceptor and the `__forge_runtime__` / `__forge_fetch__` globals before any
 * application module loads `@forge/kvs` (which chooses its transport when it loads).
 */
import './index';
