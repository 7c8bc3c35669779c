import { parseEntitiesResponse } from './responses';

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'orders', annotations: { a: 'b' } },
  spec: { type: 'service' },
};

describe('parseEntitiesResponse', () => {
  it('reads a full list', () => {
    expect(
      parseEntitiesResponse({
        kind: 'full',
        generation: 4,
        entities: [entity],
      }),
    ).toEqual({ kind: 'full', generation: 4, entities: [entity] });
  });

  it('reads an empty full list as an empty list', () => {
    expect(
      parseEntitiesResponse({ kind: 'full', generation: 0, entities: [] }),
    ).toEqual({ kind: 'full', generation: 0, entities: [] });
  });

  it('reads a delta, putting removals in the catalog form of a ref', () => {
    expect(
      parseEntitiesResponse({
        kind: 'delta',
        generation: 9,
        since: 4,
        upserts: [entity],
        removals: ['component:default/Orders-Legacy', 'group:Team-EU/Payments'],
      }),
    ).toEqual({
      kind: 'delta',
      generation: 9,
      since: 4,
      upserts: [entity],
      removals: ['component:default/orders-legacy', 'group:team-eu/payments'],
    });
  });

  it.each([
    ['a list', [], /not a JSON object/],
    ['null', null, /not a JSON object/],
    [
      'an unknown kind',
      { kind: 'partial', generation: 1 },
      /kind is "partial"/,
    ],
    [
      'a negative generation',
      { kind: 'full', generation: -1, entities: [] },
      /generation is -1/,
    ],
    [
      'a fractional generation',
      { kind: 'full', generation: 1.5, entities: [] },
      /generation is 1.5/,
    ],
    [
      'a string generation',
      { kind: 'full', generation: '3', entities: [] },
      /generation is "3"/,
    ],
    [
      'no entities',
      { kind: 'full', generation: 1 },
      /entities is not an array/,
    ],
    [
      'an entity without metadata',
      {
        kind: 'full',
        generation: 1,
        entities: [{ apiVersion: 'v1', kind: 'X' }],
      },
      /entities\[0\]\.metadata is not an object/,
    ],
    [
      'an entity with an empty name',
      {
        kind: 'full',
        generation: 1,
        entities: [{ ...entity, metadata: { name: '' } }],
      },
      /entities\[0\]\.metadata\.name/,
    ],
    [
      'annotations that are a list',
      {
        kind: 'full',
        generation: 1,
        entities: [{ ...entity, metadata: { name: 'x', annotations: [] } }],
      },
      /entities\[0\]\.metadata\.annotations is not an object/,
    ],
    [
      'a delta without removals',
      { kind: 'delta', generation: 2, since: 1, upserts: [] },
      /removals is not an array/,
    ],
    [
      'a delta since a later generation',
      { kind: 'delta', generation: 2, since: 3, upserts: [], removals: [] },
      /since \(3\) is after generation \(2\)/,
    ],
    [
      'a removal that is not a string',
      { kind: 'delta', generation: 2, since: 1, upserts: [], removals: [7] },
      /removals\[0\] is not a string/,
    ],
    [
      'a removal without kind and namespace',
      {
        kind: 'delta',
        generation: 2,
        since: 1,
        upserts: [],
        removals: ['orders'],
      },
      /removals\[0\] "orders" is not a full ref/,
    ],
  ])('rejects %s', (_name, body, message) => {
    expect(() => parseEntitiesResponse(body)).toThrow(message);
  });
});
