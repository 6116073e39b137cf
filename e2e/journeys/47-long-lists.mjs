// Long lists page 50 at a time and keep their filters (issue 16 item 4): the quality officer pages
// through signals with a kind chosen, the DP officer through monitoring due, and the brokerage
// officer sees eligible providers first with every other provider one link away.
export const name = "long lists: pages that keep their filters";

async function signInAs(page, ctx, email) {
  await page.context().clearCookies();
  await page.goto("/sign-in");
  await page.fill("#email", email);
  await page.fill("#password", ctx.password);
  await page.click("button:has-text('Sign in')");
}

const showing = /^Showing (\d+) to (\d+) of (\d+) (.+)$/;

async function summary(page) {
  const text = (await page.locator("#page-summary").innerText()).trim();
  const m = text.match(showing);
  if (!m) throw new Error(`the page summary reads "${text}"`);
  return { first: +m[1], last: +m[2], total: +m[3], noun: m[4], text };
}

export async function run(page, ctx) {
  await signInAs(page, ctx, "quality@demo.caremarket.test");
  // Signals over the last year: more than one page in the demo.
  await ctx.goto("/quality/signals", { label: "signals, page 1" });
  const all = await summary(page);
  ctx.expect(all.first === 1 && all.last === 50 && all.total > 50, `page 1 of signals reads "${all.text}"`);
  ctx.expect((await page.locator("table:has(caption:has-text('newest first')) tbody tr").count()) === 50, "page 1 does not list 50 signals");
  const firstRow = await page.locator("table:has(caption:has-text('newest first')) tbody tr").first().innerText();
  await page.click(".govuk-pagination__next a");
  await ctx.step("signals, page 2");
  const second = await summary(page);
  ctx.expect(second.first === 51 && second.total === all.total, `page 2 reads "${second.text}"`);
  const secondFirstRow = await page.locator("table:has(caption:has-text('newest first')) tbody tr").first().innerText();
  ctx.expect(secondFirstRow !== firstRow, "page 2 starts with the same signal as page 1");
  ctx.expect((await page.locator(".govuk-pagination__item--current").innerText()).trim() === "2", "page 2 is not marked as the current page");

  // Choose a kind: the pages that follow keep it.
  await page.goto("/quality/signals");
  const kinds = await page.locator("#kind option").evaluateAll((os) => os.map((o) => ({ value: o.value, text: o.textContent.trim() })).filter((o) => o.value));
  let kept = false;
  for (const kind of kinds) {
    await page.selectOption("#kind", kind.value);
    await page.click("button:has-text('Show signals')");
    if ((await page.locator("#page-summary").count()) === 0) continue;
    const one = await summary(page);
    await page.click(".govuk-pagination__next a");
    await ctx.step(`signals of one kind, page 2`);
    const two = await summary(page);
    ctx.expect(two.total === one.total && two.first === 51, `${kind.text}: page 2 reads "${two.text}" after "${one.text}"`);
    ctx.expect((await page.locator("#kind").inputValue()) === kind.value, `${kind.text}: page 2 forgot the kind chosen`);
    const tags = await page.locator("table:has(caption:has-text('newest first')) tbody tr td:nth-child(2)").allInnerTexts();
    ctx.expect(tags.every((t) => t.trim() === kind.text), `${kind.text}: page 2 lists other kinds: ${[...new Set(tags)].join(", ")}`);
    kept = true;
    break;
  }
  ctx.expect(kept, "no kind of signal has more than one page in the demo");

  await signInAs(page, ctx, "dp@demo.caremarket.test");
  await ctx.goto("/direct-payments/monitoring?days=30", { label: "DP monitoring, page 1" });
  if ((await page.locator("#page-summary").count()) > 0) {
    const m1 = await summary(page);
    ctx.expect(m1.noun === "items" && m1.last === 50, `DP monitoring reads "${m1.text}"`);
    await page.click(".govuk-pagination__next a");
    await ctx.step("DP monitoring, page 2");
    const m2 = await summary(page);
    ctx.expect(m2.first === 51 && m2.total === m1.total, `DP monitoring page 2 reads "${m2.text}"`);
    ctx.expect((await page.locator("#days").inputValue()) === "30", "DP monitoring page 2 forgot the days chosen");
  }

  await signInAs(page, ctx, "brokerage@demo.caremarket.test");
  await ctx.goto("/brokerage", { label: "awaiting care" });
  const href = await page.locator('a[href^="/brokerage/requests/"]:not([href$="/new"])').first().getAttribute("href");
  await ctx.goto(href, { label: "a request: eligible providers" });
  const heading = await page.locator("h2:has-text('Providers:')").innerText();
  const m = heading.match(/^Providers: (\d+) eligible of (\d+)$/);
  ctx.expect(m, `the providers heading reads "${heading}"`);
  const [eligible, assessed] = [+m[1], +m[2]];
  const rows = await page.locator("#providers tbody tr").count();
  ctx.expect(eligible === 0 ? rows === 1 : rows === Math.min(eligible, 50), `${eligible} eligible but ${rows} rows shown`);
  await page.click(`text=Show all ${assessed} providers`);
  await ctx.step("a request: every provider, with reasons");
  ctx.expect((await page.locator("#providers tbody tr").count()) === Math.min(assessed, 50), "the full list does not show its first 50 providers");
  ctx.expect((await page.locator("#providers tbody li").count()) > 0, "no reason is given for any provider that is not eligible");
}
