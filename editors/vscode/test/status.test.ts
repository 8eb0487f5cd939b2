import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatTimeLeft, fromStatus, SIGN_IN_LIFETIME_MS, statusText } from '../src/status';

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

describe('the server\'s sign-in notifications', () => {
  it('turn into the status bar\'s sign-in', () => {
    const now = 5_000_000;
    const s = fromStatus({ signedIn: true, account: 'dev-user@contoso.com', method: 'environment', endsInSeconds: 3600 }, now);
    assert.ok(s);
    assert.equal(statusText(s, now).text, '$(key) dev-user@contoso.com · 1 h 0 min');
    assert.equal(fromStatus({ signedIn: false }, now), undefined);
    const unknown = fromStatus({ signedIn: true }, now);
    assert.equal(unknown && statusText(unknown, now).text, '$(key) Azure · 24 h 0 min');
  });
});
