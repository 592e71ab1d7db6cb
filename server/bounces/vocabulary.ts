/*
 * The reason vocabulary every rules file is checked against. Its own module so that the
 * rules loader and the parts it compiles (rhost.ts, formats.ts) share it without a cycle.
 */

/** Sisimai's reason vocabulary (plus delivered/feedback/vacation for non-bounces). */
export const REASONS = new Set(['userunknown', 'hostunknown', 'hasmoved', 'notaccept', 'mailboxfull', 'filtered', 'blocked', 'rejected', 'policyviolation',
  'spamdetected', 'virusdetected', 'contenterror', 'expired', 'toomanyconn', 'authfailure', 'securityerror', 'mesgtoobig', 'exceedlimit', 'systemerror',
  'systemfull', 'networkerror', 'suspend', 'norelaying', 'syntaxerror', 'speeding', 'badreputation', 'requireptr', 'notcompliantrfc', 'onhold', 'undefined',
  'mailererror', 'suppressed', 'delivered', 'feedback', 'vacation']);
