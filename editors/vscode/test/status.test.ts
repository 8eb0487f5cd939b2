import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatTimeLeft, SIGN_IN_LIFETIME_MS, statusText } from '../src/status';

describe('status bar', () => {
  const at = 1_000_000;
  it('says signed out without a sign-in', () => {
    assert.equal(statusText(undefined, at).text, '$(key) Azure: signed out');
  });
  it('shows the account and the time left of the 24 hours', () => {
    const s = statusText({ account: 'dev-user@contoso.com', method: 'browser', at }, at + 65 * 60_000);
    assert.equal(s.text, '$(key) dev-user@contoso.com · 22 h 55 min');
    assert.match(s.tooltip, /as dev-user@contoso.com with browser/);
    assert.equal(s.expired, false);
  });
  it('says when the sign-in has run out', () => {
    const s = statusText({ account: 'dev-user@contoso.com', at }, at + SIGN_IN_LIFETIME_MS);
    assert.equal(s.expired, true);
    assert.match(s.text, /expired/);
  });
  it('formats durations', () => {
    assert.equal(formatTimeLeft(59_999), 'less than a minute');
    assert.equal(formatTimeLeft(42 * 60_000), '42 min');
    assert.equal(formatTimeLeft(24 * 3_600_000), '24 h 0 min');
  });
});
