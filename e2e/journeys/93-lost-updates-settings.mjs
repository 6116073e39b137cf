// Lost updates on a settings page that saves several settings at once (issue 17 item 6,
// decision 25). The demo commissioner and the demo administrator open the capacity settings. The
// administrator saves a new stale-return limit first, in a browser of their own; the commissioner's
// save of a different limit is then refused (409): the page says the settings changed since they
// were opened, who saved them, the limit as it is now beside what the commissioner typed (and not
// the answers that did not differ), and the commissioner's figure is still in the form. Saving
// again replaces it deliberately, and the page then shows it.
export const name = "lost updates: the second of two saves of the capacity settings is refused and shows what changed";

const ADMIN = "admin@demo.caremarket.test";

async function submit(page, selector = "main form button[type=submit]") {
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(selector)]);
  return response;
}

export async function run(page, ctx) {
  await ctx.signIn();
  await ctx.goto("/capacity/settings", { label: "the commissioner opens the capacity settings" });
  const before = Number(await page.inputValue("#stale_after_days"));
  ctx.expect(before >= 1 && before <= 90, `the stale-return limit read ${before}`);
  // Two limits that differ from each other and from what is stored, within 1 to 90.
  const theirs = String(before >= 80 ? before - 5 : before + 5);
  const mine = String(before >= 80 ? before - 7 : before + 7);

  await ctx.asSomeoneElse(ADMIN, async (p) => {
    await p.goto(ctx.url("/capacity/settings"), { waitUntil: "load" });
    await p.fill("#stale_after_days", theirs);
    const saved = await submit(p);
    ctx.expect(saved && saved.status() === 200, `the administrator's save answered ${saved && saved.status()}`);
    ctx.expect((await p.locator("main").innerText()).includes("Capacity settings saved"), "no confirmation for the administrator");
  });

  await page.fill("#stale_after_days", mine);
  const refused = await submit(page);
  ctx.expect(refused && refused.status() === 409, `the second save answered ${refused && refused.status()}`);
  await ctx.step("the second save is refused");
  const notice = await page.locator("#stale").innerText();
  ctx.expect(notice.includes("This record changed since you opened it"), `notice said: ${notice}`);
  ctx.expect(notice.includes("Ada Ashworth (demo administrator) saved it"), `who: ${notice}`);
  const row = (await page.locator("#stale tr", { hasText: "stale" }).innerText()).replace(/\s+/g, " ");
  ctx.expect(row.includes(`Days after which a home's latest return is stale ${theirs} ${mine}`), `the limit's row read: ${row}`);
  ctx.expect(!notice.includes("Vacancy returns are due by"), `an answer that did not differ is listed: ${notice}`);
  ctx.expect((await page.inputValue("#stale_after_days")) === mine, "what the commissioner typed was lost");

  const again = await submit(page);
  ctx.expect(again && again.status() === 200, `saving again answered ${again && again.status()}`);
  await ctx.step("saved again");
  ctx.expect((await page.locator("main").innerText()).includes("Capacity settings saved"), "no confirmation after saving again");
  ctx.expect((await page.inputValue("#stale_after_days")) === mine, "the page does not show the commissioner's limit");
}
