import type { Page } from 'playwright-core';
import type { Pipeline } from '../../app/pipeline';
import type { AccessRole } from '../../auth/principal';
import { call, roleIdentity, startAuthServer, type AuthServer } from '../api/auth/auth-server';
import { getJson } from '../helpers/http';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { waitFor } from '../helpers/wait-for';
import { openBrowser, shot, watchedPage, type Browser } from './browser';
import { ageMemories, seedDeadLetters, seedMemories } from './seed';

// what the page's own scripts see, in the functions the tests run inside it
declare const sessionStorage: {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
};
declare const location: { pathname: string };

interface Letter {
  seq: number;
  code: string;
}

const letters = async (base: string) =>
  (await getJson<{ letters: Letter[] }>(base, '/api/v1/dlq')).body.letters;

/** The console open and every panel filled in. */
async function openConsole(page: Page, base: string) {
  await page.goto(`${base}/console`);
  await page.locator('#principal .who').waitFor();
  await page.locator('#streams table.streams').waitFor();
  await page.locator('#storage svg.chart').first().waitFor();
  await page.locator('#dlq table.letters').waitFor();
}

describe('the operator console on a trusted loopback (no authentication configured)', () => {
  let nats: TestNats;
  let pipeline: Pipeline;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    nats = await startTestNats();
    pipeline = await startTestPipeline(testConfig(nats.url));
    base = pipeline.httpAddress!;
    await seedMemories(nats);
    await ageMemories(pipeline);
    await seedDeadLetters(nats);
    browser = await openBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await pipeline?.close();
    await nats?.stop();
  });

  it('loads every panel with no console error, as the loopback admin', async () => {
    const { page, problems } = await watchedPage(browser);
    await openConsole(page, base);
    await expectText(page, '#principal', /loopback\s*admin\s*all systems/);
    // streams with their durable consumers and lag
    await expectText(page, '#streams', /AKOSHA_UPLOADS/);
    expect(await page.locator('#streams tr[data-consumer]').count()).toBeGreaterThan(0);
    // records per tier: hot, warm and cold bars, and the three systems
    await expectText(page, '#storage', /ci-runner-03/);
    const segments = page.locator('#storage svg.chart rect.seg');
    for (const tier of ['hot', 'warm', 'cold'])
      expect(await segments.and(page.locator(`.${tier}`)).count()).toBeGreaterThan(0);
    // tiles: readiness, breaker (the local scheduler's), cache, letters, records
    await expectText(page, '#tile-ready .value', /^Ready$/);
    await expectText(page, '#tile-breaker .value', /Closed|Open|Half open/);
    await expectText(page, '#tile-cache .value', /%|–/);
    await expectText(page, '#tile-dlq .value', /^2$/);
    await expectText(page, '#writers', /Lease owner/);
    await shot(page, 'overview');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('finds what was ingested: system, tier, similarity and the passage', async () => {
    const { page, problems } = await watchedPage(browser);
    await openConsole(page, base);
    await page.fill('#search-form input[name=query]', 'JetStream consumer redelivery loop');
    await page.click('#search-form button[type=submit]');
    const hit = page.locator('#search-results li.hit').first();
    await hit.waitFor();
    await expectText(page, '#search-results li.hit:first-child .system', /^dev-laptop-anna$/);
    await expectText(page, '#search-results li.hit:first-child .tier-badge', /^hot$/);
    await expectText(page, '#search-results li.hit:first-child .similarity', /^\d\.\d{3}$/);
    await expectText(
      page,
      '#search-results li.hit:first-child .passage',
      /acking after the DuckDB write/,
    );
    // one system's search reaches its cold tier: an aged record in its own tier
    await page.selectOption('#search-system', 'ci-runner-03');
    await page.fill('#search-form input[name=query]', 'Kubernetes readiness probe consumers');
    await page.click('#search-form button[type=submit]');
    await page.locator('#search-results li.hit[data-id=c4]').waitFor();
    await expectText(page, '#search-results li.hit[data-id=c4] .tier-badge', /^cold$/);
    await page.locator('#search-results').scrollIntoViewIfNeeded();
    await shot(page, 'search');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows the query cache at work once a search is repeated (the README picture)', async () => {
    const { page, problems } = await watchedPage(browser);
    await openConsole(page, base);
    await page.fill('#search-form input[name=query]', 'shard writers and their leases');
    for (let i = 0; i < 2; i++) {
      await page.click('#search-form button[type=submit]');
      await page.locator('#search-results li.hit').first().waitFor();
    }
    await expectText(page, '#search-results .note', /\(cached\)/);
    await expectText(page, '#tile-cache .value', /^(?!0\.0)\d+\.\d %$/);
    await shot(page, 'console');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows a dead letter and requeues it from the page; it leaves the DLQ', async () => {
    const { page, problems } = await watchedPage(browser);
    await openConsole(page, base);
    const letter = (await letters(base)).find((l) => l.code === 'INVALID_RECORD')!;
    const row = page.locator(`#dlq tr[data-seq="${letter.seq}"]`);
    // by stage and code: the counts
    await expectText(page, '#dlq .dlq-summary', /validate/);
    await expectText(page, '#dlq .dlq-summary', /INVALID_RECORD/);

    await row.locator('button.show').click();
    await expectText(page, '#letter-body', /bad-1/);
    await expectText(page, '#letter-body', /INVALID_RECORD/);
    await shot(page, 'dead-letter');
    await page.click('#letter-close');

    await row.locator('button.requeue').click();
    // the record is still invalid: the page asks before forcing it through
    await expectText(page, '#confirm-body', /still fails validation \(INVALID_RECORD\)/);
    await page.click('#confirm-ok');
    await waitFor(async () => (await getJson(base, `/api/v1/dlq/${letter.seq}`)).status, {
      until: (status) => status === 404,
      what: 'the letter deleted from AKOSHA_DLQ',
    });
    await row.waitFor({ state: 'detached' });
    await expectText(page, '#toast', new RegExp(`Letter ${letter.seq} requeued as upload`));
    expect(problems).toEqual([]);
    await page.close();
  });
});

/** Waits until the element's text matches. */
async function expectText(page: Page, selector: string, pattern: RegExp) {
  const text = await waitFor(
    async () => (await page.locator(selector).first().textContent()) ?? '',
    {
      until: (t) => pattern.test(t.trim()),
      what: `${selector} to match ${pattern}`,
      timeoutMs: 15_000,
      intervalMs: 100,
    },
  );
  expect(text.trim()).toMatch(pattern);
}

describe('the operator console with authentication: each role sees what it may do', () => {
  const SCOPED = { name: 'reader-anna', role: 'reader' as const, systems: ['dev-laptop-anna'] };
  let server: AuthServer;
  let browser: Browser;
  let letter: Letter;
  const tokenOf = (role: AccessRole) => server.token(roleIdentity(role));
  const asAdmin = (path: string) => call(server.base, 'GET', path, tokenOf('admin'));

  /** A page that starts signed in: the token in this tab's sessionStorage, as the form leaves it. */
  async function signedIn(token: string) {
    const watched = await watchedPage(browser);
    await watched.page.addInitScript((value) => {
      if (location.pathname.startsWith('/console'))
        sessionStorage.setItem('akosha.console.token', value);
    }, token);
    await watched.page.goto(`${server.base}/console`);
    await watched.page.locator('#principal .who').waitFor();
    return watched;
  }

  beforeAll(async () => {
    server = await startAuthServer({}, [SCOPED]);
    await seedMemories(server.nats);
    await seedDeadLetters(server.nats);
    const res = await asAdmin('/api/v1/dlq');
    const body = (await res.json()) as { letters: Letter[] };
    letter = body.letters.find((l) => l.code === 'INVALID_RECORD')!;
    browser = await openBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('asks for a token on 401, then shows a reader no operator data and no admin action', async () => {
    const { page, problems } = await watchedPage(browser);
    await page.goto(`${server.base}/console`);
    await page.locator('#login-dialog[open]').waitFor();
    // the only complaint: the browser's own line about the refused whoami call
    expect(problems).toEqual([expect.stringMatching(/status of 401.*\/api\/v1\/whoami/)]);
    problems.length = 0;

    await page.fill('#login-form input[name=token]', tokenOf('reader'));
    await page.click('#login-form button[type=submit]');
    await expectText(page, '#principal', /all-reader\s*reader\s*all systems/);
    await page.locator('#storage svg.chart').first().waitFor();
    await expectText(page, '#dlq', /Needs the operator role/);
    await expectText(page, '#streams', /Needs the operator role/);
    await expectText(page, '#tile-cache .detail', /needs the operator role/);
    expect(await page.locator('button.requeue, button.purge').count()).toBe(0);
    await shot(page, 'reader');
    expect(problems).toEqual([]);

    // the server refuses what the page does not offer, whoever sends it
    const status = await page.evaluate(async (seq) => {
      const token = sessionStorage.getItem('akosha.console.token');
      const res = await fetch('/api/v1/dlq/requeue', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ seqs: [seq], force: true }),
      });
      return res.status;
    }, letter.seq);
    expect(status).toBe(403);
    expect((await asAdmin(`/api/v1/dlq/${letter.seq}`)).status).toBe(200);
    await page.close();
  });

  it('shows a reader of one system only that system', async () => {
    const { page, problems } = await signedIn(server.token(SCOPED));
    await expectText(page, '#principal', /reader-anna\s*reader\s*1 system$/);
    await page.locator('#storage svg.chart').first().waitFor();
    await expectText(page, '#storage', /dev-laptop-anna/);
    expect(await page.locator('#storage').textContent()).not.toMatch(/ci-runner-03|on disk/);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('lets an operator read the dead letters but offers no requeue or purge', async () => {
    const { page, problems } = await signedIn(tokenOf('operator'));
    await page.locator(`#dlq tr[data-seq="${letter.seq}"] button.show`).waitFor();
    await page.locator('#streams table.streams').waitFor();
    expect(await page.locator('button.requeue, button.purge').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('offers an admin signed in with a token requeue and purge', async () => {
    const { page, problems } = await signedIn(tokenOf('admin'));
    await page.locator(`#dlq tr[data-seq="${letter.seq}"] button.requeue`).waitFor();
    expect(await page.locator('#dlq button.purge').count()).toBe(1);
    await expectText(page, '#principal', /all-admin\s*admin/);
    expect(await page.locator('#sign-out').isVisible()).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });
});
