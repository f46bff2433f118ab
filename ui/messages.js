// Turning failures into sentences a customer understands. Pure functions: no DOM, testable in node.

const BY_CODE = {
  unauthorized: 'Your sign-in is not valid or has expired. Sign in again with a fresh token.',
  forbidden: 'Your sign-in does not allow this. Reviewers and customers see different things.',
  not_found: 'We could not find that deposit. It may belong to someone else or the link may be wrong.',
  service_unavailable: 'The deposit service is busy or one of its parts is down. Try again in a minute.',
  misconfigured: 'The deposit service is not set up completely. Tell the bank’s support team.',
  internal: 'Something went wrong on our side. Try again in a minute.',
};

const BY_STATUS = {
  400: 'The deposit service could not accept that request. Check what you typed and try again.',
  401: BY_CODE.unauthorized,
  403: BY_CODE.forbidden,
  404: BY_CODE.not_found,
  409: 'That deposit has changed in the meantime. Reload the page to see where it stands.',
  413: 'That file is too large. Take a smaller photo.',
  415: 'That file is not a JPEG, PNG or TIFF image we can read.',
  422: 'The deposit breaks one of the bank’s rules.',
  429: 'Too many requests at once. Wait a moment and try again.',
};

// Codes whose own sentence from the API is less helpful to a customer than ours.
const PREFER_OURS = new Set(['internal', 'misconfigured']);

/** True when `text` reads like a sentence for a person, not JSON, code or a stack trace. */
export function isSentence(text) {
  return typeof text === 'string' && text.trim().length > 0 && text.length <= 400 &&
    !/[{}<>]|Traceback|\n|^\s*\[|Error:|Exception/.test(text);
}

/** A sentence for an API reply with HTTP `status` and parsed body `payload` (may be null or not an object). */
export function sentenceFor(status, payload) {
  const code = payload && typeof payload === 'object' && typeof payload.code === 'string' ? payload.code : '';
  const error = payload && typeof payload === 'object' ? payload.error : undefined;
  if (code && PREFER_OURS.has(code)) return BY_CODE[code];
  if (status < 500 && isSentence(error)) return error.trim();
  if (BY_CODE[code]) return BY_CODE[code];
  if (BY_STATUS[status]) return BY_STATUS[status];
  if (status >= 500) return 'The deposit service is having trouble right now. Try again in a minute.';
  return `The deposit service answered with an unexpected status (${status}). Try again.`;
}

/** A sentence for a request that never got an answer. */
export function networkSentence() {
  return 'We cannot reach the deposit service. Check your connection and try again.';
}

/** Human names for deposit statuses and review reasons. */
export const STATUS_LABELS = {
  received: 'Received',
  processing: 'Processing',
  accepted: 'Accepted',
  needs_review: 'Needs review',
  duplicate: 'Duplicate',
  rejected: 'Rejected',
  failed: 'Failed',
  exported: 'Sent for clearing',
};

export const FINAL_STATUSES = new Set(['accepted', 'needs_review', 'duplicate', 'rejected', 'failed', 'exported']);
// Final for the pipeline, but a reviewer may still move them to accepted or rejected.
export const REVIEWABLE = new Set(['needs_review', 'duplicate']);

const REASON_LABELS = {
  routing_checksum_failed: 'The routing number read from the check fails its checksum.',
  low_confidence: 'Some characters of the check’s number line were hard to read.',
  unparseable_line: 'The check’s number line could not be split into its fields.',
  amount_mismatch: 'The amount typed differs from the amount on the check.',
  amount_unread: 'The amount on the check could not be read with confidence.',
  endorsement_missing: 'The back has no restrictive endorsement (such as “For mobile deposit only”).',
  back_upload_missing: 'The back of the check was not uploaded.',
  partial_image: 'Part of the check is outside the photo.',
  excessive_skew: 'The check was photographed at too steep an angle.',
  piggyback: 'Another document overlaps the check.',
  too_light_or_too_dark: 'The photo of the check is too dark or too light.',
  streaks_and_bands: 'The photo has streaks or bands.',
  below_minimum_size: 'The check is too small in the photo.',
  exceeds_maximum_size: 'The photo is too large.',
  out_of_focus: 'The photo of the check is out of focus.',
  image_changed: 'The image was replaced after it was checked.',
  back_image_changed: 'The image of the back was replaced after it was checked.',
  no_micr_line_found: 'No number line (MICR) was found on the check.',
  routing_missing: 'The routing number is missing.',
  account_missing: 'The account number is missing.',
  routing_format_invalid: 'The routing number read from the check does not have 9 digits.',
  account_format_invalid: 'The account number read from the check is not in a valid form.',
  check_number_missing: 'The check number is missing.',
  check_number_format_invalid: 'The check number read from the check is not in a valid form.',
  amount_format_invalid: 'The amount encoded on the check could not be read.',
  auxiliary_on_us_format_invalid: 'The auxiliary field on the number line is not in a valid form.',
  extra_transit_symbol: 'The number line has an unexpected transit symbol.',
  on_us_symbol_missing: 'The number line is missing its on-us symbol.',
  unexpected_characters: 'The number line contains characters that do not belong there.',
  readings_disagree: 'Two readings of the check’s number line disagree.',
  declared_amount_invalid: 'The amount typed could not be compared with the check.',
  duplicate: 'This check was already deposited.',
  duplicate_check: 'This check was already deposited.',
  possible_duplicate: 'This check looks like one deposited before; a person compares them.',
  over_item_limit: 'The amount is over the limit for one check.',
  over_daily_limit: 'The deposit would go over the daily limit.',
};

/** A sentence for a machine reason code (unknown codes are shown as words). */
export function reasonText(reason) {
  const code = typeof reason === 'string' ? reason : reason && (reason.code || reason.reason);
  if (code && REASON_LABELS[code]) return REASON_LABELS[code];
  if (typeof code === 'string' && code.startsWith('back_') && REASON_LABELS[code.slice(5)]) {
    return `Back of the check: ${REASON_LABELS[code.slice(5)].replace(/^./, (c) => c.toLowerCase())}`;
  }
  if (reason && typeof reason === 'object' && isSentence(reason.message)) return reason.message;
  return String(code || reason).replaceAll('_', ' ');
}

export function statusLabel(status) {
  return STATUS_LABELS[status] || String(status || 'unknown').replaceAll('_', ' ');
}
