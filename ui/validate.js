// Checks on what a person types or chooses, run as they type. Pure functions: no DOM, testable in node.

export const LIMITS = Object.freeze({
  maxFileBytes: 25 * 1024 * 1024, // what we agree to decode in the browser before shrinking
  maxPixels: 40_000_000, // the API refuses more than 40 megapixels; so do we, before uploading
  longSide: 1600, // the long side of the JPEG we upload
  maxAmountCents: 100_000_000, // $1,000,000.00: anything above is a typing mistake; the API applies the real limit
});

const AMOUNT = /^(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]{1,2})?$/;
const ACCOUNT = /^[0-9]{4,17}$/;

/**
 * Validate an amount typed in dollars ("1042", "1,042.5", "$1042.00").
 * Returns {ok: true, value: "1042.00", cents} or {ok: false, message, incomplete}; `incomplete` means the
 * text may still become valid as the person types, so the message can wait until they leave the field.
 */
export function validateAmount(text) {
  const raw = String(text ?? '').trim().replace(/^\$\s*/, '');
  if (raw === '') return { ok: false, incomplete: true, message: 'Type the amount written on the check.' };
  if (!AMOUNT.test(raw)) {
    // "1,04" or "12." may still become valid as the person goes on typing.
    const incomplete = /^[0-9][0-9,]*\.?$/.test(raw);
    return { ok: false, incomplete, message: 'Type the amount in dollars and cents using digits, for example 1042.00.' };
  }
  const [whole, fraction = ''] = raw.replaceAll(',', '').split('.');
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  if (!Number.isSafeInteger(cents) || cents > LIMITS.maxAmountCents) {
    return { ok: false, message: 'That amount is too large for a check deposit.' };
  }
  if (cents <= 0) return { ok: false, message: 'The amount must be more than $0.00.' };
  const value = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
  return { ok: true, value, cents };
}

/** Validate the account to credit: 4 to 17 digits (spaces and dashes are ignored). */
export function validateAccount(text) {
  const raw = String(text ?? '').trim().replace(/[\s-]/g, '');
  if (raw === '') return { ok: false, incomplete: true, message: 'Type the number of the account to credit.' };
  if (!/^[0-9]+$/.test(raw)) return { ok: false, message: 'The account number may contain digits only.' };
  if (!ACCOUNT.test(raw)) return { ok: false, incomplete: raw.length < 4, message: 'An account number has 4 to 17 digits.' };
  return { ok: true, value: raw };
}

/**
 * First check on a chosen file, before decoding it: {type, size, name} as a File has them.
 * Returns null when it may be an image we can use, else a sentence saying what is wrong.
 */
export function checkImageFile(file) {
  if (!file) return 'Choose a photo or scan of the check.';
  if (file.size === 0) return `"${file.name}" is empty. Choose a photo or scan of the check.`;
  if (file.type && !file.type.startsWith('image/')) {
    return `"${file.name}" is not an image. Choose a JPEG or PNG photo of the check.`;
  }
  if (file.size > LIMITS.maxFileBytes) {
    const mb = (file.size / (1024 * 1024)).toFixed(1);
    return `"${file.name}" is ${mb} MB, over the ${LIMITS.maxFileBytes / (1024 * 1024)} MB limit. Take a smaller photo.`;
  }
  return null;
}

/** Check decoded dimensions; null when acceptable, else a sentence. */
export function checkImageSize(width, height, name = 'The image') {
  if (width * height > LIMITS.maxPixels) {
    return `${name} has ${Math.round((width * height) / 1e6)} megapixels, over the 40 megapixel limit.`;
  }
  if (Math.min(width, height) < 200) {
    return `${name} is only ${width}×${height} pixels: too small to read. Take a closer photo.`;
  }
  return null;
}

/** The size to draw an image so that its long side is at most `longSide`, keeping its proportions. */
export function fitWithin(width, height, longSide = LIMITS.longSide) {
  const scale = Math.min(1, longSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
