/**
 * What the central-config frontend and backend plugins share.
 *
 * @packageDocumentation
 */

export * from './permissions';
export * from './types';
