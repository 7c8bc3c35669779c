import { gate } from '@internal/central-config-test-utils';
import {
  KafkaClusterSummary,
  KafkaTopology,
  KafkaTopologyApi,
  NodeData,
  TopologyQuery,
} from '../api';

/** A small topology: one cluster, two topics, a producer and a consumer. */
export const NODES: NodeData[] = [
  {
    id: 'cluster:acme-events',
    type: 'cluster',
    label: 'acme-events',
    declared: true,
    environment: 'prod',
    brokers: 3,
  },
  {
    id: 'topic:acme-events/orders.v1',
    type: 'topic',
    label: 'orders.v1',
    parent: 'cluster:acme-events',
    entityRef: 'resource:default/acme-events-orders-v1',
    declared: true,
    cluster: 'acme-events',
    partitions: 12,
    replicas: 3,
    config: { 'retention.ms': '604800000' },
    owner: 'orders',
  },
  {
    id: 'topic:acme-events/payments.v1',
    type: 'topic',
    label: 'payments.v1',
    parent: 'cluster:acme-events',
    declared: true,
    cluster: 'acme-events',
    partitions: 6,
    drift: 'mismatch',
    driftDetail: '6 partitions declared, 3 on the cluster',
  },
  {
    id: 'app:order-service',
    type: 'application',
    label: 'order-service',
    parent: 'cluster:acme-events',
    entityRef: 'component:default/order-service',
    kind: 'service',
    owner: 'orders',
  },
  {
    id: 'app:billing',
    type: 'application',
    label: 'billing',
    parent: 'cluster:acme-events',
    kind: 'service',
    consumerGroups: ['billing-v1'],
  },
];

export function topology(nodes: NodeData[] = NODES): KafkaTopology {
  return {
    elements: { nodes: nodes.map(data => ({ data })), edges: [] },
    counts: {
      clusters: nodes.filter(n => n.type === 'cluster').length,
      topics: nodes.filter(n => n.type === 'topic').length,
      applications: nodes.filter(n => n.type === 'application').length,
      edges: 0,
    },
  };
}

export class FakeKafkaApi implements KafkaTopologyApi {
  queries: TopologyQuery[] = [];
  /** What getKafkaClusters answers (or throws, when an Error). */
  clusters: KafkaClusterSummary[] | Error = [
    {
      name: 'acme-events',
      declared: true,
      environment: 'prod',
      topics: 2,
      producers: 1,
      consumers: 1,
      applications: 2,
    },
  ];
  answer: (q: TopologyQuery) => KafkaTopology = () => topology();

  async getKafkaTopology(query: TopologyQuery = {}): Promise<KafkaTopology> {
    this.queries.push(query);
    return this.answer(query);
  }

  private held?: Promise<void>;

  /** Holds getKafkaClusters's answers until the returned function is called. */
  hold(): () => void {
    const { passed, open } = gate();
    this.held = passed;
    return open;
  }

  async getKafkaClusters(): Promise<KafkaClusterSummary[]> {
    await this.held;
    if (this.clusters instanceof Error) throw this.clusters;
    return this.clusters;
  }
}
