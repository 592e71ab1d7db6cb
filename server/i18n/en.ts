/*
 * English texts of the admin UI, by key. Keys name the page or part, then the text's job
 * (`menu.inbound`, `settings.saved`). Add a key here before using it in a page; the unit
 * test fails on a page that uses a key this file lacks.
 */
export const en = {
  'menu.area.overview': 'Overview',
  'menu.area.inbound': 'Inbound',
  'menu.area.outbound': 'Outbound',
  'menu.area.deliverability': 'Deliverability',
  'menu.area.administration': 'Administration',
  'menu.dashboard': 'Dashboard',
  'menu.inbound': 'Inbound mail',
  'menu.domains': 'Domains & mailboxes',
  'menu.credentials': 'App credentials',
  'menu.compose': 'Compose',
  'menu.queue': 'Outbound queue',
  'menu.templates': 'Templates',
  'menu.messageTypes': 'Message types',
  'menu.accounts': 'Upstream accounts',
  'menu.suppressions': 'Blocked addresses',
  'menu.users': 'Users',
  'menu.teams': 'Teams',
  'menu.apikeys': 'API keys',
  'menu.jobs': 'Scheduled jobs',
  'menu.settings': 'My settings',

  'shell.skip': 'Skip to content',
  'shell.signOut': 'Sign out',
  'shell.mainNav': 'Main',
  'shell.role.admin': 'admin',
  'shell.role.agent': 'agent',

  'dashboard.title': 'Dashboard',
  'dashboard.users': 'Users',
  'dashboard.node': 'Node {node} runs roles: {roles}.',
  'dashboard.apiDocs': 'API documentation:',

  'settings.title': 'My settings',
  'settings.locale': 'Language and formats',
  'settings.locale.help': 'Dates, times and numbers follow this locale. Texts are English until a translation ships.',
  'settings.timeZone': 'Time zone',
  'settings.timeZone.help': 'An IANA time zone, e.g. Europe/Oslo or America/New_York.',
  'settings.example': 'Now, as you will see it: {now}',
  'settings.save': 'Save',
  'settings.saved': 'Settings saved.',
  'settings.badLocale': 'Choose one of the listed locales',
  'settings.badTimeZone': 'Not a known time zone',
} as const;

export type MessageKey = keyof typeof en;
