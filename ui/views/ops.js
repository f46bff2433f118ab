// Operations (reviewers): pictures of the last few hundred activations — latency of cold versus warm
// invocations per action, the cache hit ratio over time, and deposits per status.

import { api, ApiError } from '../api.js';
import { groupedBars, horizontalBars, lineChart } from '../charts.js';
import { h, notice, replace } from '../dom.js';
import { statusLabel } from '../messages.js';
import { exportsSection } from './exports.js';
import { activationsFromDeposits, cacheHitRatio, depositsPerStatus, latencyByAction, normaliseActivation } from '../opsdata.js';

const REFRESH_MS = 10000;
const OPS_DEPOSITS = 200; // the most the API lists at once: a few hundred pipeline steps

export function renderOps(view, _params, { handleFailure }) {
  const body = h('div', { class: 'charts' }, notice('info', 'Loading…'));
  const source = h('p', { class: 'hint' });
  let timer = null;
  let stopped = false;
  const exports = exportsSection({ handleFailure });

  async function refresh() {
    try {
      const listing = await api.listDeposits(null, OPS_DEPOSITS);
      const deposits = Array.isArray(listing && listing.deposits) ? listing.deposits : [];
      let activations = null;
      let counts = null;
      try {
        const ops = await api.opsActivations();
        activations = (Array.isArray(ops && ops.activations) ? ops.activations : []).map(normaliseActivation).filter(Boolean);
        counts = ops && ops.deposits_by_status;
        source.textContent = `From the platform's last ${activations.length} activations; updated ${new Date().toLocaleTimeString()}.`;
      } catch (error) {
        if (!(error instanceof ApiError) || ![404, 405].includes(error.status)) throw error;
        activations = activationsFromDeposits(deposits);
        source.textContent = `From the pipeline steps recorded in ${deposits.length} deposits; ` +
          `updated ${new Date().toLocaleTimeString()}.`;
      }
      if (stopped) return;
      const latency = latencyByAction(activations);
      const ratio = cacheHitRatio(activations);
      const statuses = depositsPerStatus(deposits, counts);
      replace(body,
        groupedBars({
          title: 'Latency per action: cold versus warm containers (median ms)',
          groups: latency,
          series: [{ key: 'cold', label: 'cold start', cls: 'cold' }, { key: 'warm', label: 'warm container', cls: 'warm' }],
          format: (v) => `${Math.round(v)} ms`,
          description: latency.map((g) => `${g.label}: cold ${g.values.cold === null ? 'none' : `${Math.round(g.values.cold)} ms`}, ` +
            `warm ${g.values.warm === null ? 'none' : `${Math.round(g.values.warm)} ms`}`).join('; '),
        }),
        lineChart({
          title: 'Cache hit ratio over time',
          points: ratio,
          description: ratio.length ? `From ${Math.round(ratio[0].y * 100)}% to ${Math.round(ratio[ratio.length - 1].y * 100)}%.` : '',
        }),
        horizontalBars({
          title: 'Deposits per status',
          rows: statuses.map((row) => ({ label: statusLabel(row.label), value: row.value, cls: `status-${row.label}` })),
          description: statuses.map((row) => `${statusLabel(row.label)}: ${row.value}`).join(', '),
        }));
      exports.refresh();
      timer = setTimeout(refresh, REFRESH_MS);
    } catch (error) {
      if (!stopped) handleFailure(error, body);
    }
  }
  replace(view, h('h1', {}, 'Operations'), source, body, exports.element);
  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
