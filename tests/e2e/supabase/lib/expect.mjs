// Assertions on message fields: servers may add fields, so tests compare only the ones the
// spec names, and say which field of which message differed.
import assert from 'node:assert/strict';

export function assertFields(actual, expected, label) {
  assert.ok(
    actual && typeof actual === 'object',
    `${label}: expected an object, got ${JSON.stringify(actual)}`,
  );
  for (const [key, value] of Object.entries(expected)) {
    assert.deepStrictEqual(actual[key], value, `${label}.${key} in ${JSON.stringify(actual)}`);
  }
}

// A positive number no larger than `max` (e.g. a call's expiresInMs within its ring timeout).
export function assertPositiveAtMost(value, max, label) {
  assert.ok(
    typeof value === 'number' && value > 0 && value <= max,
    `${label}: ${value} not in (0, ${max}]`,
  );
}
