/*
 * A tiny cookie-keeping browser over fetch for admin-UI tests: GET pages, read the CSRF
 * token from forms, POST forms, follow nothing automatically (tests look at redirects).
 */
export class UiClient {
  cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  private store(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i), value = pair!.slice(i + 1);
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(c) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  private cookieHeader() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }

  async get(path: string): Promise<{ res: Response; html: string }> {
    const res = await fetch(this.base + path, { redirect: 'manual', headers: { cookie: this.cookieHeader() } });
    this.store(res);
    return { res, html: await res.text() };
  }

  /** The CSRF token of the first form on a page. */
  static csrfOf(html: string): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (!m) throw new Error('no CSRF field on the page');
    return m[1]!;
  }

  async post(path: string, fields: Record<string, string | string[]>, csrf?: string): Promise<{ res: Response; html: string }> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    if (csrf !== undefined) body.set('_csrf', csrf);
    const res = await fetch(this.base + path, {
      method: 'POST', redirect: 'manual', body,
      headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
    });
    this.store(res);
    return { res, html: await res.text() };
  }

  /** Signs in through the real login form; returns the response of the POST. */
  async login(username: string, password: string) {
    const page = await this.get('/admin/login');
    return this.post('/admin/login', { username, password, next: '/admin' }, UiClient.csrfOf(page.html));
  }

  /** GET a page and POST one of its forms with its own CSRF token. */
  async submit(pagePath: string, actionPath: string, fields: Record<string, string | string[]>) {
    const page = await this.get(pagePath);
    return this.post(actionPath, fields, UiClient.csrfOf(page.html));
  }
}
