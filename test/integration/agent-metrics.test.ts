import { describeAgentMetrics } from '../support/agent-metrics.suite';

// Tasks as host processes: CPU and memory from /proc.
describeAgentMetrics({ executor: 'process' });
