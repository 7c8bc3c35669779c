/**
 * The central-config backend plugin: POST /api/central-config/sync starts
 * engine sync runs for users allowed by the central-config.sync.run
 * permission. Reads go through the proxy (proxy.endpoints./central-config).
 *
 * @packageDocumentation
 */

export { centralConfigPlugin as default } from './plugin';
