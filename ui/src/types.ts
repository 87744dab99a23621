// The API's JSON, as far as the UI reads it (docs/server-api.md).
export interface Run {
  id: number;
  pipeline: string;
  spec: string;
  status: string;
  trigger: string;
  started: string | null;
  started_ns: number | null;
  ended: string | null;
  duration_s: number | null;
  params: Record<string, unknown>;
  reason: string;
  reuses_run: number | null;
}

export interface Step {
  step: string;
  execution: number | null;
  status: string;
  attempts: number;
  exit_code: number | null;
  started: string | null;
  ended: string | null;
  wall_s: number | null;
  cpu_s: number | null;
  peak_rss_bytes: number | null;
  reason: string;
  cache_key: string;
  reused_from: number | null;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
}

export interface RunDetail extends Run {
  notes: string[];
  steps: Step[];
}

export interface MetricValue {
  step: string;
  name: string;
  test: boolean;
  value: number | null;
  points: number;
  reused_from_run: number | null;
}

export interface PipelineStepDef {
  name: string;
  after: string[];
  inputs: Record<string, { kind: string; value: string }>;
  outputs: { name: string; type: string }[];
}

export interface Trigger {
  id: string;
  kind: string;
  name?: string;
  paused?: boolean;
  next_fire_ns?: number | null; // a schedule's next slot (null: paused, or not a schedule)
  [key: string]: unknown;
}

export interface PipelineSummary {
  name: string;
  spec: string;
  description?: string;
  triggers: Trigger[];
  concurrency: number;
  cooldown_s: number;
  max_runs_per_day: number;
  challenger_of: string | null;
  last_runs: { id: number; status: string; started_ns: number | null; ended_ns: number | null; trigger: string }[];
  steps?: PipelineStepDef[];
}

export interface Producer {
  run: number;
  step: string;
  execution: number;
  status: string;
}

export interface ArtifactVersion {
  name: string;
  version: number;
  label: string;
  ref: string;
  created: string | null;
  producer: Producer | null;
}

export interface ArtifactDetail {
  ref: string;
  label: string;
  type: string;
  size: number;
  is_dir: boolean;
  created: string | null;
  stored: boolean;
  absent?: { why: string } | null;
  producer: Producer | null;
  versions: ArtifactVersion[];
  models: { name?: string; version?: number; label?: string }[];
  consumers: { run: number; step: string; execution: number; as: string }[];
}

export interface LineageNode {
  id: string;
  kind: "artifact" | "execution";
  ref?: string;
  label?: string;
  type?: string;
  execution?: number;
  run?: number;
  step?: string;
  status?: string;
}

export interface Lineage {
  root: string;
  label: string;
  direction: string;
  nodes: LineageNode[];
  edges: { from: string; to: string; as: string | null }[];
}

export interface ModelSummary {
  name: string;
  description: string;
  versions: number;
  latest: number;
  aliases: Record<string, number>;
  created: string | null;
}

export interface ModelVersion {
  name: string;
  version: number;
  label: string;
  ref: string;
  source: string;
  run: number | null;
  execution: number | null;
  metrics: Record<string, number>;
  aliases: string[];
  created: string | null;
}

export interface ModelDetail {
  name: string;
  description: string;
  created: string | null;
  versions: ModelVersion[];
  aliases: { alias: string; version: number; updated: string | null }[];
}

export interface AliasMove {
  id: number;
  from: number | null;
  to: number | null;
  reason: string;
  changed: string | null;
}
