// Turning activation records (or, failing those, the deposits' own step records) into chart data.
// Pure functions: no DOM, testable in node.

import { stepsOf } from './model.js';

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function median(values) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function annotation(record, key) {
  const list = Array.isArray(record.annotations) ? record.annotations : [];
  const found = list.find((a) => isObject(a) && a.key === key);
  return found ? found.value : undefined;
}

/**
 * Normalise one activation record: OpenWhisk's own shape ({name, start, duration, annotations: [{key:
 * 'initTime'}], response: {result: {_meta}}}) or a flattened one ({action, start, duration, cold, cache}).
 */
export function normaliseActivation(record) {
  if (!isObject(record)) return null;
  const result = isObject(record.response) && isObject(record.response.result) ? record.response.result : {};
  const meta = isObject(record._meta) ? record._meta : isObject(result._meta) ? result._meta : {};
  const name = String(record.action ?? record.name ?? '').split('/').pop();
  const duration = Number(record.duration ?? record.duration_ms ?? record.ms ?? meta.ms);
  const start = Number(record.start ?? record.start_ms ?? record.t);
  if (!name || !Number.isFinite(duration)) return null;
  const cold = record.cold ?? meta.cold ?? (annotation(record, 'initTime') !== undefined);
  const cache = isObject(record.cache) ? record.cache : isObject(meta.cache) ? meta.cache : {};
  return { name, duration, start: Number.isFinite(start) ? start : null, cold: Boolean(cold), cache };
}

/** Activations derived from deposit documents' per-step records, when no activation list is available. */
export function activationsFromDeposits(deposits) {
  return deposits.flatMap((doc) => stepsOf(doc).map((step) => ({
    name: step.name, duration: step.ms, start: step.at, cold: step.cold, cache: step.cache,
  })));
}

/** Median latency per action, cold and warm: [{label, values: {cold, warm}, counts}]. */
export function latencyByAction(activations) {
  const byName = new Map();
  for (const a of activations) {
    if (!byName.has(a.name)) byName.set(a.name, { cold: [], warm: [] });
    byName.get(a.name)[a.cold ? 'cold' : 'warm'].push(a.duration);
  }
  return [...byName.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([label, d]) => ({
    label, values: { cold: median(d.cold), warm: median(d.warm) }, counts: { cold: d.cold.length, warm: d.warm.length },
  }));
}

/** Share of cache lookups that hit, per time bucket: [{t, y, n}] with t the bucket start (ms), y in 0..1. */
export function cacheHitRatio(activations, buckets = 12) {
  const lookups = activations.filter((a) => a.start !== null).flatMap((a) =>
    Object.values(a.cache).filter((v) => v === 'hit' || v === 'miss').map((v) => ({ t: a.start, hit: v === 'hit' })));
  if (!lookups.length) return [];
  const t0 = Math.min(...lookups.map((l) => l.t));
  const t1 = Math.max(...lookups.map((l) => l.t));
  const width = Math.max(1, (t1 - t0) / buckets);
  const bins = new Map();
  for (const l of lookups) {
    const i = Math.min(buckets - 1, Math.floor((l.t - t0) / width));
    const bin = bins.get(i) || { hits: 0, n: 0 };
    bin.n += 1;
    bin.hits += l.hit ? 1 : 0;
    bins.set(i, bin);
  }
  return [...bins.entries()].sort(([a], [b]) => a - b).map(([i, bin]) => ({ t: t0 + i * width, y: bin.hits / bin.n, n: bin.n }));
}

/** Deposits per status: [{label: status, value: count}] in pipeline order. */
export function depositsPerStatus(deposits, counts) {
  const order = ['received', 'processing', 'accepted', 'needs_review', 'duplicate', 'rejected', 'failed'];
  const tally = {};
  if (isObject(counts)) Object.assign(tally, counts);
  else for (const d of deposits) tally[d.status] = (tally[d.status] || 0) + 1;
  return Object.entries(tally).filter(([, n]) => Number(n) > 0)
    .sort(([a], [b]) => (order.indexOf(a) + 99) % 99 - (order.indexOf(b) + 99) % 99)
    .map(([label, value]) => ({ label, value: Number(value) }));
}
