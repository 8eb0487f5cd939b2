// The status bar's text: the signed-in account and how long the sign-in may still last (the
// server keeps a sign-in at most 24 hours, SPEC §7). Pure; unit-tested.

/** The longest a sign-in lasts. */
export const SIGN_IN_LIFETIME_MS = 24 * 60 * 60 * 1000;

export interface SignIn {
  account?: string;
  method?: string;
  /** When the sign-in happened, in ms since the epoch. */
  at: number;
}

export interface StatusText {
  text: string;
  tooltip: string;
  /** Whether the sign-in has run out (the item then offers to sign in again). */
  expired: boolean;
}

/** `23 h 5 min`, `42 min`, `less than a minute`. */
export function formatTimeLeft(ms: number): string {
  if (ms < 60_000) {
    return 'less than a minute';
  }
  const minutes = Math.floor(ms / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h > 0 ? `${h} h ${m} min` : `${m} min`;
}

/** What the status bar item says for a sign-in (or none) at time `now`. */
export function statusText(signIn: SignIn | undefined, now: number): StatusText {
  if (signIn === undefined) {
    return {
      text: '$(key) Azure: signed out',
      tooltip: 'vaultlink is not signed in to Azure. Click to sign in.',
      expired: false,
    };
  }
  const left = signIn.at + SIGN_IN_LIFETIME_MS - now;
  const who = signIn.account ?? 'Azure';
  if (left <= 0) {
    return {
      text: `$(key) ${who}: sign-in expired`,
      tooltip: 'The sign-in has lasted 24 hours and has ended. Click to sign in again.',
      expired: true,
    };
  }
  const how = signIn.method ? ` with ${signIn.method}` : '';
  return {
    text: `$(key) ${who} · ${formatTimeLeft(left)}`,
    tooltip: `vaultlink is signed in to Azure as ${who}${how}; the sign-in lasts at most ${formatTimeLeft(left)} more. Click to sign out.`,
    expired: false,
  };
}

/** The server's notification of a changed sign-in. */
export const SIGN_IN_STATUS = 'vaultlink/signInStatus';

export interface SignInStatusParams {
  signedIn: boolean;
  account?: string | null;
  method?: string | null;
  /** Seconds until the sign-in ends. */
  endsInSeconds?: number | null;
}

/** The sign-in a `vaultlink/signInStatus` notification describes, received at `now`. */
export function fromStatus(p: SignInStatusParams, now: number): SignIn | undefined {
  if (!p.signedIn) {
    return undefined;
  }
  const left = typeof p.endsInSeconds === 'number' ? p.endsInSeconds * 1000 : SIGN_IN_LIFETIME_MS;
  return {
    account: p.account ?? undefined,
    method: p.method ?? undefined,
    at: now - (SIGN_IN_LIFETIME_MS - left),
  };
}
