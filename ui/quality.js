// The cheap image quality tests, run on a chosen photo before it is uploaded: size, too dark or too light,
// focus. The formulas are the server's (openchecks.check.quality) and the thresholds are the ones the API
// serves (GET /capture -> quality, i.e. QualityThresholds.browser()): nothing here is a copied number.
// Pure functions on grey pixels: no DOM, testable in node.

/** Customer sentences, one per failed test (the server words them the same way). */
export const QUALITY_MESSAGES = {
  too_dark: 'The photo is too dark: take it in better light.',
  too_light: 'The photo is too bright and washed out: avoid the flash or direct light.',
  below_minimum_size: 'The check is too small in the photo: move closer so it fills most of the frame.',
  exceeds_maximum_size: 'The photo is too large: send it at a lower resolution (at most 40 megapixels).',
  out_of_focus: 'The photo is blurred: hold the phone steady and tap the check to focus.',
};

/** Grey levels (0-255, rounded) of RGBA pixel data with the given channel weights. */
export function greyOf(rgba, weights = [0.299, 0.587, 0.114]) {
  const [wr, wg, wb] = weights;
  const out = new Uint8Array(rgba.length / 4);
  for (let i = 0, j = 0; j < out.length; i += 4, j += 1) {
    out[j] = Math.round(wr * rgba[i] + wg * rgba[i + 1] + wb * rgba[i + 2]);
  }
  return out;
}

/** The p-th percentile (0-100) of grey levels, interpolated linearly between ranks (as numpy does). */
export function percentile(grey, p) {
  const counts = new Array(256).fill(0);
  for (const v of grey) counts[v] += 1;
  const rank = (p / 100) * (grey.length - 1);
  const lo = Math.floor(rank);
  const at = (k) => {
    let seen = 0;
    for (let level = 0; level < 256; level += 1) {
      seen += counts[level];
      if (seen > k) return level;
    }
    return 255;
  };
  const a = at(lo);
  const b = lo + 1 < grey.length ? at(lo + 1) : a;
  return a + (b - a) * (rank - lo);
}

/** paper_level, ink_level and clipped share of a grey image. */
export function exposure(grey, t) {
  let clipped = 0;
  for (const v of grey) if (v >= t.clipped_level) clipped += 1;
  return {
    paper_level: percentile(grey, t.paper_percentile),
    ink_level: percentile(grey, t.ink_percentile),
    clipped: grey.length ? clipped / grey.length : 0,
  };
}

/** Standard deviation of the 3x3 Laplacian (borders replicated), over the exposure range, times 100. */
export function focusMetric(grey, width, height, paperLevel, inkLevel, kernel = [[0, 1, 0], [1, -4, 1], [0, 1, 0]]) {
  const px = (x, y) => grey[Math.min(height - 1, Math.max(0, y)) * width + Math.min(width - 1, Math.max(0, x))];
  let sum = 0;
  let sumSq = 0;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      let v = 0;
      for (let dy = -1; dy <= 1; dy += 1) {
        for (let dx = -1; dx <= 1; dx += 1) {
          const k = kernel[dy + 1][dx + 1];
          if (k) v += k * px(x + dx, y + dy);
        }
      }
      sum += v;
      sumSq += v * v;
    }
  }
  const n = width * height;
  if (!n) return 0;
  const mean = sum / n;
  const std = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
  return (std / (paperLevel - inkLevel + 1)) * 100;
}

/** The size tests on the photo's own pixels (either way round). */
export function sizeResults(width, height, t) {
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  const minLong = Math.max(t.min_width, t.min_height);
  const minShort = Math.min(t.min_width, t.min_height);
  return {
    below_minimum_size: long < minLong || short < minShort ? 'fail' : 'pass',
    exceeds_maximum_size: width * height > t.max_pixels || long > t.max_side ? 'fail' : 'pass',
  };
}

/**
 * The browser's tests on a photo of `width` x `height` pixels whose measured region, resized to
 * `t.metric_width` wide, has grey levels `grey` (gw x gh). Returns {results, failed, messages, metrics}.
 * `focus: false` leaves focus to the server (a check's back is mostly blank paper: the middle of the frame
 * says little about sharpness there; the server measures it on the straightened back).
 */
export function assessGrey(width, height, grey, gw, gh, t, { focus = true } = {}) {
  const results = sizeResults(width, height, t);
  const messages = [];
  const metrics = exposure(grey, t);
  const dark = metrics.paper_level < t.min_paper_level;
  const light = metrics.clipped > t.max_clipped || metrics.ink_level > t.max_ink_level;
  results.too_light_or_too_dark = dark || light ? 'fail' : 'pass';
  if (dark || light || !focus) {
    results.out_of_focus = 'not_tested'; // a washed-out or black photo has no edges to measure
  } else {
    metrics.focus = focusMetric(grey, gw, gh, metrics.paper_level, metrics.ink_level, t.laplacian);
    results.out_of_focus = metrics.focus < t.min_focus ? 'fail' : 'pass';
  }
  const failed = Object.keys(results).filter((name) => results[name] === 'fail');
  for (const name of failed) {
    if (name === 'too_light_or_too_dark') messages.push(QUALITY_MESSAGES[dark ? 'too_dark' : 'too_light']);
    else messages.push(QUALITY_MESSAGES[name]);
  }
  return { results, failed, messages, metrics };
}

/** The part of the frame measured without a capture guide, and the size it is resized to. */
export function measuredRegion(width, height, t) {
  const rw = Math.max(1, Math.round(width * t.region.width));
  const rh = Math.max(1, Math.round(height * t.region.height));
  const x = Math.floor((width - rw) / 2);
  const y = Math.floor((height - rh) / 2);
  const gw = t.metric_width; // the server resizes to this width too (down by area, up linearly)
  const gh = Math.max(1, Math.round((rh * gw) / rw));
  return { x, y, width: rw, height: rh, gw, gh };
}

/** True when `t` looks like the thresholds the API serves (the page skips its checks otherwise). */
export function usableThresholds(t) {
  return Boolean(t && typeof t === 'object' && t.region && Array.isArray(t.laplacian) &&
    ['metric_width', 'min_width', 'min_height', 'max_pixels', 'max_side', 'min_paper_level', 'paper_percentile',
      'ink_percentile', 'clipped_level', 'max_clipped', 'max_ink_level', 'min_focus'].every((k) => Number.isFinite(t[k])));
}
