/**
 * Test utilities of the central-config backend packages: FakeEngine, a real
 * HTTP server that speaks the engine's entities and acks API.
 *
 * @packageDocumentation
 */

export {
  component,
  FakeEngine,
  type Override,
  type RecordedRequest,
} from './FakeEngine';
