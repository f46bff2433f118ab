// Preparing a check image in the browser and sending it straight to object storage.

import { ApiError } from './api.js';
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
 * Check and shrink a chosen file: a JPEG whose long side is at most LIMITS.longSide pixels.
 * Resolves {blob, width, height, sourceWidth, sourceHeight}; rejects with an ApiError carrying a sentence.
 */
export async function prepareImage(file) {
  const problem = checkImageFile(file);
  if (problem) throw new ApiError(problem, 0, 'bad_file');
  const bitmap = await decode(file);
  try {
    const tooBig = checkImageSize(bitmap.width, bitmap.height, `"${file.name}"`);
    if (tooBig) throw new ApiError(tooBig, 0, 'bad_file');
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
    return { blob, width: size.width, height: size.height, sourceWidth: bitmap.width, sourceHeight: bitmap.height };
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
        resolve();
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
