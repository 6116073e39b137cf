// Lost updates on a record a form replaces as a whole (issue 17 item 6, decision 25, migration
// 0042): who looks after a service's quality. The demo commissioner opens the officers and teams
// page and follows the Change link of the first service; the demo administrator, in a browser of
// their own, changes the same service's officer first. The commissioner's choice of another officer
// is then refused (409): the page says the record changed since it was opened, who saved it, the
// officer as it is now beside the one chosen, and the choice is still selected. Saving again
// replaces it deliberately; the confirmation and the table then show the commissioner's officer.
export const name = "lost updates: the second of two changes of a service's quality officer is refused and shows what changed";

const ADMIN = "admin@demo.caremarket.test";

async function submit(page, selector = "main form button[type=submit]") {
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(selector)]);
  return response;
}

/// The officer choices of the open form: value and name.
async function officers(page) {
  return page.locator("#officer_id option").evaluateAll((os) => os.map((o) => ({ value: o.value, text: o.textContent.trim() })));
}

export async function run(page, ctx) {
  await ctx.signIn();
  await ctx.goto("/quality/assignments", { label: "the commissioner opens the quality officers and teams" });
  const first = page.locator("#assignments tbody tr").first();
  const service = (await first.locator("td").first().locator("a").innerText()).trim();
  const [nav] = await Promise.all([page.waitForNavigation({ waitUntil: "load" }), first.locator("a", { hasText: "Change" }).click()]);
  ctx.expect(nav && nav.status() === 200, `the Change link answered ${nav && nav.status()}`);
  await ctx.step(`the commissioner opens ${service}'s own form`);
  ctx.expect((await page.locator("h2#change").innerText()).includes(`Change who looks after ${service}`), "the form does not name the service");
  const changeUrl = page.url();
  const now = await page.inputValue("#officer_id");
  const choices = (await officers(page)).filter((o) => o.value !== now);
  ctx.expect(choices.length >= 2, `two officers to choose between besides the current one: ${JSON.stringify(choices)}`);
  const [theirs, mine] = choices;

  await ctx.asSomeoneElse(ADMIN, async (p) => {
    await p.goto(changeUrl, { waitUntil: "load" });
    await p.selectOption("#officer_id", theirs.value);
    const saved = await submit(p);
    ctx.expect(saved && saved.status() === 200, `the administrator's save answered ${saved && saved.status()}`);
    const banner = await p.locator(".govuk-notification-banner").innerText();
    ctx.expect(banner.includes(`${service}: quality officer and team saved`), `the administrator's confirmation read: ${banner}`);
  });

  await page.selectOption("#officer_id", mine.value);
  const refused = await submit(page);
  ctx.expect(refused && refused.status() === 409, `the second save answered ${refused && refused.status()}`);
  await ctx.step("the second change is refused");
  const notice = await page.locator("#stale").innerText();
  ctx.expect(notice.includes("This record changed since you opened it"), `notice said: ${notice}`);
  ctx.expect(notice.includes("Ada Ashworth (demo administrator) saved it"), `who: ${notice}`);
  const row = (await page.locator("#stale tr", { hasText: "Quality officer" }).innerText()).replace(/\s+/g, " ");
  ctx.expect(row.includes(`Quality officer ${theirs.text} ${mine.text}`), `the officer's row read: ${row}`);
  ctx.expect(!notice.includes("Team (optional)"), `the team did not differ but is listed: ${notice}`);
  ctx.expect((await page.inputValue("#officer_id")) === mine.value, "the commissioner's choice was lost");

  const again = await submit(page);
  ctx.expect(again && again.status() === 200, `saving again answered ${again && again.status()}`);
  await ctx.step("saved again");
  const banner = await page.locator(".govuk-notification-banner").innerText();
  ctx.expect(banner.includes(`${service}: quality officer and team saved`), `the confirmation read: ${banner}`);
  const saved = (await page.locator("#assignments tbody tr", { hasText: service }).first().innerText()).replace(/\s+/g, " ");
  ctx.expect(saved.includes(mine.text), `the table's row for ${service} reads: ${saved}`);
}
