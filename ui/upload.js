// Preparing a check image in the browser and sending it straight to object storage.

import { ApiError } from './api.js';
import { assessGrey, greyOf, measuredRegion, usableThresholds } from './quality.js';
import { LIMITS, checkImageFile, checkImageSize, fitWithin } from './validate.js';

const JPEG_QUALITY = 0.9;
// Headers a page may not set on a request; the browser adds them itself.
const FORBIDDEN_HEADERS = new Set(['content-length', 'host', 'connection', 'origin', 'referer', 'cookie']);

async function decode(file) {
  try {
    // Applies the EXIF orientation, so a phone photo taken upright stays upright.
    return await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    throw new ApiError(`"${file.name}" is not an image we can read. Choose a JPEG or PNG photo of the check.`, 0, 'not_image');
  }
}

/**
 * The cheap quality tests (size, too dark or too light, focus) on a decoded photo, with the API's
 * thresholds: the middle of the frame, resized to the metric width, measured as the server measures.
 */
export function photoQuality(bitmap, thresholds, options = {}) {
  const region = measuredRegion(bitmap.width, bitmap.height, thresholds);
  const canvas = document.createElement('canvas');
  canvas.width = region.gw;
  canvas.height = region.gh;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, region.x, region.y, region.width, region.height, 0, 0, region.gw, region.gh);
  const grey = greyOf(ctx.getImageData(0, 0, region.gw, region.gh).data, thresholds.grey);
  return assessGrey(bitmap.width, bitmap.height, grey, region.gw, region.gh, thresholds, options);
}

/**
 * Check and shrink a chosen file: a JPEG whose long side is at most LIMITS.longSide pixels. With the API's
 * quality thresholds, a photo that fails a cheap test is refused here, before anything is uploaded
 * (`options.focus: false` skips the focus test, for a check's back).
 * Resolves {blob, width, height, sourceWidth, sourceHeight, quality}; rejects with an ApiError carrying a
 * sentence (code 'quality' with `failed` and `messages` for a quality failure).
 */
export async function prepareImage(file, thresholds = null, options = {}) {
  const problem = checkImageFile(file);
  if (problem) throw new ApiError(problem, 0, 'bad_file');
  const bitmap = await decode(file);
  try {
    const tooBig = checkImageSize(bitmap.width, bitmap.height, `"${file.name}"`);
    if (tooBig) throw new ApiError(tooBig, 0, 'bad_file');
    const quality = usableThresholds(thresholds) ? photoQuality(bitmap, thresholds, options) : null;
    if (quality && quality.failed.length) {
      const error = new ApiError(quality.messages.join(' '), 0, 'quality');
      error.failed = quality.failed;
      error.messages = quality.messages;
      throw error;
    }
    const size = fitWithin(bitmap.width, bitmap.height, LIMITS.longSide);
    const canvas = document.createElement('canvas');
    canvas.width = size.width;
    canvas.height = size.height;
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff'; // a transparent PNG would otherwise turn black in the JPEG
    ctx.fillRect(0, 0, size.width, size.height);
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, size.width, size.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', JPEG_QUALITY));
    if (!blob) throw new ApiError('This browser could not convert the photo. Try another browser.', 0, 'encode');
    return {
      blob, width: size.width, height: size.height, sourceWidth: bitmap.width, sourceHeight: bitmap.height, quality,
    };
  } finally {
    bitmap.close();
  }
}

/**
 * PUT `blob` to a presigned URL with XMLHttpRequest, calling onProgress(loadedBytes, totalBytes) as it goes.
 * Resolves when storage answered 2xx; rejects with an ApiError carrying a sentence.
 */
export function putWithProgress(url, headers, blob, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    for (const [name, value] of Object.entries(headers || {})) {
      if (!FORBIDDEN_HEADERS.has(name.toLowerCase())) xhr.setRequestHeader(name, String(value));
    }
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(blob.size, blob.size);
        resolve(undefined);
      } else if (xhr.status === 403) {
        reject(new ApiError('The upload link has expired or was refused. Start the deposit again.', xhr.status, 'upload_refused'));
      } else {
        reject(new ApiError(`Storage refused the upload (status ${xhr.status}). Try again.`, xhr.status, 'upload_failed'));
      }
    });
    xhr.addEventListener('error', () => {
      reject(new ApiError('The upload did not reach storage. Check your connection and try again.', 0, 'network'));
    });
    xhr.addEventListener('timeout', () => {
      reject(new ApiError('The upload took too long. Check your connection and try again.', 0, 'timeout'));
    });
    xhr.timeout = 120_000;
    xhr.send(blob);
  });
}
