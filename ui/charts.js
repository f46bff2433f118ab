// Small SVG charts drawn with our own code. Every label is a text node; values are numbers we check.

import { h, s } from './dom.js';

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function niceMax(value) {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((m) => m * magnitude >= value) || 10;
  return step * magnitude;
}

function figure(title, description, svg, legend) {
  return h('figure', { class: 'chart' },
    h('figcaption', {}, title),
    svg ? svg : h('p', { class: 'empty' }, 'No data yet.'),
    legend || null,
    svg ? h('p', { class: 'visually-hidden' }, description) : null);
}

function legendOf(series) {
  return h('ul', { class: 'legend' },
    series.map((serie) => h('li', {}, h('span', { class: `swatch ${serie.cls}`, 'aria-hidden': 'true' }), serie.label)));
}

function yAxis(width, top, plotHeight, left, max, format) {
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return ticks.map((t) => {
    const y = top + plotHeight - t * plotHeight;
    return s('g', { class: 'tick' },
      s('line', { x1: left, x2: width - 8, y1: y, y2: y }),
      s('text', { x: left - 6, y: y + 4, 'text-anchor': 'end' }, format(max * t)));
  });
}

/**
 * Vertical grouped bars: groups = [{label, values: {key: number|null}}], series = [{key, label, cls}].
 * Used for "latency of cold vs warm invocations per action".
 */
export function groupedBars({ title, groups, series, format = (v) => `${Math.round(v)}`, description = '' }) {
  if (!groups.length) return figure(title, description, null);
  const width = Math.max(640, 76 + groups.length * 130);
  const height = 240;
  const top = 12, left = 64, bottom = 36;
  const plotHeight = height - top - bottom;
  const max = niceMax(Math.max(...groups.flatMap((g) => series.map((se) => num(g.values[se.key])))));
  const groupWidth = (width - left - 12) / groups.length;
  const barWidth = Math.min(28, (groupWidth - 14) / series.length);
  const bars = groups.flatMap((group, gi) => {
    const x0 = left + gi * groupWidth + (groupWidth - barWidth * series.length) / 2;
    const items = series.map((serie, si) => {
      const value = group.values[serie.key];
      if (value === null || value === undefined) return null;
      const barHeight = (num(value) / max) * plotHeight;
      return s('rect', { class: `bar ${serie.cls}`, x: x0 + si * barWidth, y: top + plotHeight - barHeight,
        width: barWidth - 2, height: Math.max(barHeight, 1) },
        s('title', {}, `${group.label}, ${serie.label}: ${format(num(value))}`));
    });
    const label = s('text', { class: 'xlabel', x: x0 + (barWidth * series.length) / 2, y: height - bottom + 16,
      'text-anchor': 'middle' }, group.label.length > 16 ? `${group.label.slice(0, 15)}…` : group.label);
    return [...items, label];
  });
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `${title}. ${description}` },
    yAxis(width, top, plotHeight, left, max, format), bars);
  return figure(title, description, svg, legendOf(series));
}

/** A line over time: points = [{t: epoch ms, y: number}], y between 0 and yMax. */
export function lineChart({ title, points, yMax = 1, format = (v) => `${Math.round(v * 100)}%`, description = '' }) {
  const clean = points.filter((p) => Number.isFinite(p.t) && Number.isFinite(p.y)).sort((a, b) => a.t - b.t);
  if (clean.length === 0) return figure(title, description, null);
  const width = 560, height = 240, top = 12, left = 52, bottom = 40;
  const plotWidth = width - left - 12, plotHeight = height - top - bottom;
  const t0 = clean[0].t, t1 = clean[clean.length - 1].t;
  const span = Math.max(1, t1 - t0);
  const xy = clean.map((p) => [left + ((p.t - t0) / span) * plotWidth, top + plotHeight - (Math.min(p.y, yMax) / yMax) * plotHeight]);
  const path = xy.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `${title}. ${description}` },
    yAxis(width, top, plotHeight, left, yMax, format),
    s('path', { class: 'line', d: path }),
    xy.map(([x, y], i) => s('circle', { class: 'dot', cx: x, cy: y, r: 3 },
      s('title', {}, `${new Date(clean[i].t).toLocaleTimeString()}: ${format(clean[i].y)}`))),
    s('text', { class: 'xlabel', x: left, y: height - 14 }, new Date(t0).toLocaleTimeString()),
    s('text', { class: 'xlabel', x: width - 12, y: height - 14, 'text-anchor': 'end' }, new Date(t1).toLocaleTimeString()));
  return figure(title, description, svg);
}

/** Horizontal bars, one per label: rows = [{label, value, cls}]. */
export function horizontalBars({ title, rows, format = (v) => String(v), description = '' }) {
  if (!rows.length) return figure(title, description, null);
  const rowHeight = 28, left = 120, width = 520;
  const height = rows.length * rowHeight + 8;
  const max = niceMax(Math.max(...rows.map((r) => num(r.value))));
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `${title}. ${description}` },
    rows.map((row, i) => {
      const y = 4 + i * rowHeight;
      const w = (num(row.value) / max) * (width - left - 60);
      return s('g', {},
        s('text', { x: left - 8, y: y + 17, 'text-anchor': 'end' }, row.label),
        s('rect', { class: `bar ${row.cls || ''}`, x: left, y: y + 3, width: Math.max(w, 1), height: rowHeight - 8 },
          s('title', {}, `${row.label}: ${format(num(row.value))}`)),
        s('text', { x: left + Math.max(w, 1) + 6, y: y + 17 }, format(num(row.value))));
    }));
  return figure(title, description, svg);
}

/**
 * The pipeline timeline of one deposit: steps = [{name, ms, offset, cold, cache: {name: 'hit'|'miss'}}].
 * Bars are placed one after the other (offset in ms from the first step) and labelled with their time.
 */
export function timeline(steps) {
  if (!steps.length) return h('p', { class: 'empty' }, 'The pipeline has not run yet.');
  const total = Math.max(1, ...steps.map((st) => num(st.offset) + num(st.ms)));
  const rowHeight = 30, left = 130, width = 560;
  const height = steps.length * rowHeight + 8;
  const scale = (width - left - 70) / total;
  return s('svg', { class: 'timeline', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img',
    'aria-label': `Pipeline timeline: ${steps.map((st) => `${st.name} ${Math.round(num(st.ms))} ms`).join(', ')}` },
  steps.map((step, i) => {
    const y = 4 + i * rowHeight;
    const x = left + num(step.offset) * scale;
    const w = Math.max(2, num(step.ms) * scale);
    return s('g', {},
      s('text', { x: left - 8, y: y + 18, 'text-anchor': 'end' }, step.name),
      s('rect', { class: `bar ${step.cold ? 'cold' : 'warm'}`, x, y: y + 4, width: w, height: rowHeight - 10 },
        s('title', {}, `${step.name}: ${Math.round(num(step.ms))} ms, ${step.cold ? 'cold' : 'warm'} container`)),
      s('text', { x: x + w + 6, y: y + 18 }, `${Math.round(num(step.ms))} ms`));
  }));
}
