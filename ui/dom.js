// Small DOM helpers. Every value goes in as a text node or an attribute, never as markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function setAttributes(el, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (name === 'text') {
      el.textContent = String(value);
    } else if (name === 'value' || name === 'checked' || name === 'disabled' || name === 'selected') {
      el[name] = value;
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
}

/** Create an HTML element: h('p', {class: 'x'}, 'text', child, [more]). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

/** Create an SVG element with the same conventions as h(). */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

/** Replace every child of `el` with `children`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A live region message; kind is 'error', 'ok' or 'info'. */
export function notice(kind, text) {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

/** Format cents or a decimal string as dollars with two decimals. */
export function money(amount) {
  if (amount === null || amount === undefined || amount === '') return '—';
  const n = typeof amount === 'number' ? amount : Number(amount);
  if (!Number.isFinite(n)) return String(amount);
  return `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** A short local date and time for an ISO string or epoch milliseconds. */
export function when(value) {
  if (value === null || value === undefined || value === '') return '—';
  const d = new Date(typeof value === 'number' && value < 1e11 ? value * 1000 : value);
  return Number.isNaN(d.getTime()) ? String(value) : d.toLocaleString();
}

const MICR_SYMBOLS = { '⑆': ['T', 'transit'], '⑇': ['$', 'amount'], '⑈': ['U', 'on-us'], '⑉': ['-', 'dash'] };

/** A MICR line with its four E-13B symbols drawn as labelled boxes (few fonts have the glyphs). */
export function micrLine(text) {
  if (!text) return null;
  return h('span', { class: 'micr' }, [...String(text)].map((ch) => (MICR_SYMBOLS[ch]
    ? h('abbr', { class: 'micr-symbol', title: `${MICR_SYMBOLS[ch][1]} symbol` }, MICR_SYMBOLS[ch][0])
    : ch)));
}
