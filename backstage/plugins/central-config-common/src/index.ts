/**
 * What the central-config frontend and backend plugins share: the engine's
 * API types (generated from its OpenAPI file), the engine client of the
 * frontend plugins, the source id rule and the sync permission.
 *
 * @packageDocumentation
 */

export * from './client';
export * from './kafka';
export * from './permissions';
export * from './sourceId';
export * from './types';
