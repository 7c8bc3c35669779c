import { renderInTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  errorOfAnswer,
  expectEngineAnswered,
} from '@internal/central-config-test-utils';
import {
  EngineUnreachableError,
  kafkaTopologyApiRef,
  NodeData,
} from '../../api';
import { FakeKafkaApi, NODES, topology } from '../../__testUtils__/fakeApi';
import { KafkaTopologyPage } from './KafkaTopologyPage';

// Cytoscape and the large graph need a canvas, which jsdom has not: the graph is replaced by a
// list of its nodes that can be clicked. The real graph is tested in
// Chromium (backstage/test/integration/kafka_page_test.go).
jest.mock('../TopologyGraph', () => ({
  ...jest.requireActual('../TopologyGraph/style'),
  ...jest.requireActual('../TopologyGraph/types'),
  TopologyGraph: (props: {
    topology: { elements: { nodes: { data: NodeData }[] } };
    onSelect: (n: NodeData) => void;
  }) => (
    <ul data-testid="graph">
      {props.topology.elements.nodes.map(n => (
        <li key={n.data.id}>
          <button onClick={() => props.onSelect(n.data)}>{n.data.id}</button>
        </li>
      ))}
    </ul>
  ),
}));

function renderPage(api: FakeKafkaApi, initialLimit?: number, path = '/kafka') {
  return renderInTestApp(<KafkaTopologyPage initialLimit={initialLimit} />, {
    apis: [[kafkaTopologyApiRef, api]],
    initialRouteEntries: [path],
    mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
  });
}

describe('KafkaTopologyPage', () => {
  it('says the engine cannot be reached, and what to check, as the sync status page does', async () => {
    const api = new FakeKafkaApi();
    api.answer = () => {
      throw new EngineUnreachableError(
        'The central-config engine does not answer (HTTP 504): upstream timed out',
        504,
      );
    };
    renderPage(api);
    expect(
      await screen.findByText(
        'Error: The central-config engine cannot be reached',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        /HTTP 504\): upstream timed out\. Check that the engine runs/,
      ),
    ).toBeInTheDocument();
  });

  it('shows progress until the engine answers', async () => {
    const api = new FakeKafkaApi();
    const open = api.hold();
    renderPage(api);
    expect(api.queries).toEqual([]);
    expect(await screen.findByRole('progressbar')).toBeInTheDocument();

    open();
    expect(
      await screen.findByText('topic:acme-events/orders.v1'),
    ).toBeInTheDocument();
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
  });

  it('draws the topology after Retry once the engine answers again', async () => {
    const api = new FakeKafkaApi();
    const clusters = api.clusters;
    api.clusters = new EngineUnreachableError(
      'The central-config engine does not answer (HTTP 502)',
      502,
    );
    renderPage(api);
    expect(
      await screen.findByText(/HTTP 502\)\. Check that the engine runs/),
    ).toBeInTheDocument();

    api.clusters = clusters;
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(
      await screen.findByText('topic:acme-events/orders.v1'),
    ).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Retry' })).toBeNull();
  });

  it('keeps the graph it drew when a new search cannot be read, under the error and its Retry', async () => {
    const api = new FakeKafkaApi();
    renderPage(api);
    expect(await screen.findByText('app:billing')).toBeInTheDocument();

    api.answer = () => {
      throw new EngineUnreachableError(
        'The central-config engine does not answer (HTTP 502)',
        502,
      );
    };
    await userEvent.type(screen.getByLabelText('Search'), 'orders');
    expect(
      await screen.findByText(/HTTP 502\)\. Check that the engine runs/),
    ).toBeInTheDocument();
    expect(screen.getByText('app:billing')).toBeInTheDocument();

    api.answer = () => topology(NODES.slice(0, 2));
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await waitFor(() =>
      expect(screen.queryByText('app:billing')).not.toBeInTheDocument(),
    );
    expect(screen.queryByRole('button', { name: 'Retry' })).toBeNull();
  });

  it("shows the engine's own 503 (kafka-unavailable) as its error, not as an engine that cannot be reached", async () => {
    // The error the client makes of the engine's answer.
    const error = await errorOfAnswer(503, {
      error: {
        code: 'kafka-unavailable',
        message: 'this engine serves no Kafka topology',
      },
    });
    const api = new FakeKafkaApi();
    api.answer = () => {
      throw error;
    };
    renderPage(api);
    await expectEngineAnswered(
      /answered HTTP 503 kafka-unavailable: this engine serves no Kafka topology/,
    );
  });

  it('draws the whole topology with its counts when it is small', async () => {
    const api = new FakeKafkaApi();
    renderPage(api);
    expect(
      await screen.findByText('topic:acme-events/orders.v1'),
    ).toBeInTheDocument();
    expect(screen.getByTestId('kafka-counts')).toHaveTextContent(
      '1 cluster, 2 topics, 2 applications, 0 connections',
    );
    expect(screen.getByTestId('kafka-legend')).toHaveTextContent('produces to');
    expect(api.queries).toEqual([{}]);
  });

  it('sends the search to the engine, debounced, and keeps it in the URL', async () => {
    const api = new FakeKafkaApi();
    api.answer = q => (q.search ? topology(NODES.slice(0, 2)) : topology());
    renderPage(api);
    await screen.findByText('app:billing');

    // Jest's clock: the keys come faster than the debounce however loaded
    // the machine is, so one request follows them, not one per key.
    jest.useFakeTimers();
    try {
      const user = userEvent.setup({ advanceTimers: jest.advanceTimersByTime });
      await user.type(screen.getByLabelText('Search'), 'orders');
      expect(api.queries).toEqual([{}]);
      await waitFor(() =>
        expect(screen.queryByText('app:billing')).not.toBeInTheDocument(),
      );
    } finally {
      jest.useRealTimers();
    }
    expect(api.queries).toEqual([{}, { search: 'orders' }]);
  });

  it('reads its filters from the URL, so a view can be linked', async () => {
    const api = new FakeKafkaApi();
    renderPage(
      api,
      undefined,
      '/kafka?cluster=acme-events&focus=app%3Abilling&depth=2',
    );
    await screen.findByText('app:billing');
    expect(api.queries).toEqual([
      { cluster: 'acme-events', focus: 'app:billing', depth: '2' },
    ]);
    expect(screen.getByText('Show all')).toBeInTheDocument();
  });

  it('shows the details of a clicked topic, its catalog entity and its drift', async () => {
    const api = new FakeKafkaApi();
    renderPage(api);
    await userEvent.click(
      await screen.findByText('topic:acme-events/payments.v1'),
    );
    const panel = screen.getByTestId('kafka-node-panel');
    expect(panel).toHaveTextContent('payments.v1');
    expect(panel).toHaveTextContent('Partitions6');
    expect(panel).toHaveTextContent(
      'Drift (mismatch): 6 partitions declared, 3 on the cluster',
    );

    await userEvent.click(screen.getByText('topic:acme-events/orders.v1'));
    await waitFor(() =>
      expect(screen.getByTestId('kafka-node-panel')).toHaveTextContent(
        'retention.ms = 604800000',
      ),
    );
    expect(
      await screen.findByRole('link', { name: /acme-events-orders-v1/ }),
    ).toBeInTheDocument();
  });

  it("focuses on a node's neighbourhood from its panel", async () => {
    const api = new FakeKafkaApi();
    renderPage(api);
    await userEvent.click(await screen.findByText('app:order-service'));
    await userEvent.click(
      await screen.findByRole('button', { name: 'Show its neighbourhood' }),
    );
    await waitFor(() =>
      expect(api.queries[api.queries.length - 1]).toEqual({
        focus: 'app:order-service',
        depth: '1',
      }),
    );
  });

  it('opens on a cluster overview instead of drawing a topology above the limit', async () => {
    const api = new FakeKafkaApi();
    api.clusters = [
      {
        name: 'big',
        declared: true,
        topics: 5000,
        producers: 600,
        consumers: 800,
        applications: 1000,
      },
    ];
    renderPage(api, 1500);
    expect(await screen.findByTestId('kafka-overview')).toHaveTextContent(
      '6000 topics and applications',
    );
    expect(api.queries).toEqual([]);
    expect(screen.getByText(/5000 topics · 600 producers/)).toBeInTheDocument();

    await userEvent.click(
      screen.getByRole('button', { name: 'Draw this cluster' }),
    );
    await waitFor(() => expect(api.queries).toEqual([{ cluster: 'big' }]));
  });

  it('says where the formats are documented when there is no topology', async () => {
    const api = new FakeKafkaApi();
    api.clusters = [];
    renderPage(api);
    expect(await screen.findByText('No Kafka topology')).toBeInTheDocument();
    expect(screen.getByText(/docs\/kafka.md/)).toBeInTheDocument();
  });

  it('says when nothing matches the filters', async () => {
    const api = new FakeKafkaApi();
    api.answer = q => (q.owner ? topology([]) : topology());
    renderPage(api, undefined, '/kafka?owner=nobody');
    expect(
      await screen.findByText(/Nothing matches these filters/),
    ).toBeInTheDocument();
  });
});
