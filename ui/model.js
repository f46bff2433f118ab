// Reading a deposit document from the API into the few things the page shows. Pure functions: no DOM.
// One place that knows the document's shape, so a change in the API changes this file only.

const STEP_ORDER = ['fetch-image', 'ocr-check', 'parse-check', 'record-deposit'];

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v) => (v === null || v === undefined ? '' : String(v));

export function depositId(doc) {
  return str(doc.id ?? doc._id);
}

/** The declared amount as a decimal string ("1042.00"), from `amount` or `amount_cents`. */
export function amountOf(doc) {
  if (typeof doc.amount_cents === 'number') return (doc.amount_cents / 100).toFixed(2);
  return doc.amount === undefined || doc.amount === null ? '' : str(doc.amount);
}

/** The MICR fields read from the check: {line, routing, account, check_number, confidence}. */
export function micrOf(doc) {
  const reading = isObject(doc.reading) ? doc.reading : isObject(doc.micr) ? doc.micr : {};
  const corrected = isObject(doc.corrected) ? doc.corrected : {};
  const pick = (key) => str(corrected[key] ?? reading[key] ?? '');
  const line = str(reading.micr ?? reading.line ?? reading.raw ?? (typeof doc.micr === 'string' ? doc.micr : ''));
  return {
    line,
    routing: pick('routing'),
    account: pick('account'),
    check_number: pick('check_number') || str(reading.serial ?? ''),
    confidence: typeof reading.confidence === 'number' ? reading.confidence : null,
    corrected: Object.keys(corrected),
  };
}

export function reasonsOf(doc) {
  const reasons = doc.reasons ?? (isObject(doc.micr) ? doc.micr.reasons : undefined);
  return Array.isArray(reasons) ? reasons : [];
}

/** The status history, oldest first: [{status, at, by, note}]. */
export function historyOf(doc) {
  const history = Array.isArray(doc.history) ? doc.history : [];
  return history.filter(isObject).map((entry) => ({
    status: str(entry.status ?? entry.to),
    at: entry.at ?? entry.time ?? entry.ts ?? null,
    by: str(entry.by ?? entry.actor ?? ''),
    note: str(entry.reason ?? entry.note ?? ''),
  }));
}

function toMs(value) {
  if (typeof value === 'number') return value < 1e11 ? value * 1000 : value;
  const t = Date.parse(str(value));
  return Number.isNaN(t) ? null : t;
}

function cacheOf(step) {
  const cache = isObject(step.cache) ? step.cache : isObject(step._meta) && isObject(step._meta.cache) ? step._meta.cache : {};
  return Object.fromEntries(Object.entries(cache).map(([name, value]) => [name, str(value)]));
}

/**
 * The pipeline steps in pipeline order: [{name, ms, cold, cache: {name: 'hit'|'miss'|...}, at, offset}].
 * `steps` may be an object keyed by step name (the API's) or a list of step records. `at` (epoch ms) is
 * when the step reported; bars are laid one after the other (`offset` = sum of the earlier steps' ms),
 * because step reports carry whole seconds only.
 */
export function stepsOf(doc) {
  let raw = doc.steps ?? doc.timings ?? [];
  if (isObject(raw)) raw = Object.entries(raw).map(([name, step]) => ({ name, ...(isObject(step) ? step : { ms: step }) }));
  if (!Array.isArray(raw)) return [];
  const steps = raw.filter(isObject).map((step) => {
    const meta = isObject(step._meta) ? step._meta : {};
    const ms = Number(step.ms ?? step.duration_ms ?? step.duration ?? meta.ms ?? 0);
    return {
      name: str(step.name ?? step.step ?? step.action),
      ms: Number.isFinite(ms) ? ms : 0,
      cold: Boolean(step.cold ?? meta.cold),
      cache: cacheOf(step),
      at: toMs(step.at ?? step.start ?? meta.at ?? null),
      offset: 0, // set below, once the steps are in order
    };
  });
  const rank = (name) => {
    const i = STEP_ORDER.indexOf(name);
    return i < 0 ? STEP_ORDER.length : i;
  };
  steps.sort((a, b) => rank(a.name) - rank(b.name) || (a.at ?? 0) - (b.at ?? 0));
  let cursor = 0;
  for (const step of steps) {
    step.offset = cursor;
    cursor += step.ms;
  }
  return steps;
}

/**
 * URLs of the images: {large, thumb, original, back_large, back_thumb, back_original}; empty when absent.
 * The API gives the archive copies' signed URLs at the top of `images` (large, small, back_large, ...) and
 * the straightened sides under images.front / images.back (with a `url`).
 */
export function imagesOf(doc) {
  const images = isObject(doc.images) ? doc.images : {};
  const front = isObject(images.front) ? images.front : {};
  const back = isObject(images.back) ? images.back : {};
  const url = (v) => (typeof v === 'string' && /^(https?:|blob:|data:image\/)/.test(v) ? v : '');
  return {
    large: url(images.large ?? front.large ?? front.large_url ?? front.url ?? doc.image_url),
    original: url(images.original ?? front.original ?? ''),
    thumb: url(images.small ?? front.small ?? front.thumb ?? front.thumb_url ?? doc.thumb_url),
    back_large: url(images.back_large ?? back.large ?? back.large_url ?? back.url ?? ''),
    back_thumb: url(images.back_small ?? back.thumb ?? back.thumb_url ?? ''),
    back_original: url(images.back_original ?? ''),
  };
}

const QUALITY_TESTS = ['partial_image', 'excessive_skew', 'piggyback', 'too_light_or_too_dark', 'streaks_and_bands',
  'below_minimum_size', 'exceeds_maximum_size', 'out_of_focus'];

function qualityRows(results) {
  if (!isObject(results)) return [];
  const names = [...QUALITY_TESTS.filter((n) => n in results), ...Object.keys(results).filter((n) => !QUALITY_TESTS.includes(n))];
  return names.map((name) => ({ test: name, result: str(results[name]) }));
}

/**
 * What the whole-check read found beyond the MICR line: the amount read (with its source and confidence)
 * next to the declared one, each side's quality results, the endorsement, and the sentences for the customer.
 */
export function wholeCheckOf(doc) {
  const amount = isObject(doc.amount_read) ? doc.amount_read : {};
  const endorsement = isObject(doc.endorsement) ? doc.endorsement : null;
  const cents = typeof amount.cents === 'number' ? amount.cents : null;
  const declared = typeof doc.amount_cents === 'number' ? doc.amount_cents : null;
  return {
    amountRead: cents === null ? '' : (cents / 100).toFixed(2),
    amountSource: str(amount.source ?? ''),
    amountConfidence: typeof amount.confidence === 'number' ? amount.confidence : null,
    amountMatches: cents !== null && declared !== null ? cents === declared : null,
    quality: qualityRows(doc.quality),
    backQuality: qualityRows(doc.back_quality),
    endorsement: endorsement && {
      present: Boolean(endorsement.present),
      restrictive: Boolean(endorsement.restrictive),
      text: str(endorsement.text ?? ''),
    },
    messages: Array.isArray(doc.messages) ? doc.messages.map(str).filter(Boolean) : [],
  };
}

export function createdOf(doc) {
  return doc.created ?? doc.created_at ?? doc.received_at ?? (historyOf(doc)[0] || {}).at ?? null;
}
