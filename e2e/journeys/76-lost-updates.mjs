// Lost updates (issue 17 item 6, decision 25). The demo commissioner and the demo administrator
// open the same service's "Change the council's details" form. The administrator saves first, in
// a browser of their own; the commissioner's save is then refused (409): the page says the record
// changed since it was opened, who changed it, the notes as they are now beside what the
// commissioner typed, and the commissioner's words are still in the form. Saving again replaces
// the notes deliberately.
export const name = "lost updates: the second of two saves of one service is refused and shows what changed";

const ADMIN = "admin@demo.caremarket.test";

async function submit(page, selector = "main button[type=submit]") {
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(selector)]);
  return response;
}

export async function run(page, ctx) {
  await ctx.signIn();
  await ctx.goto("/services", { label: "the register" });
  const href = await page.locator("main table a[href^='/services/']").first().getAttribute("href");
  ctx.expect(/^\/services\/[0-9a-f-]+$/.test(href || ""), `first service link was ${href}`);
  const edit = `${href}/edit`;
  await ctx.goto(edit, { label: "the commissioner opens the form" });
  const stamp = Date.now().toString(36);
  const theirs = `Block contract agreed at QuAD (${stamp})`;
  const mine = `Spot purchase while the tender runs (${stamp})`;

  // The administrator, in a browser of their own, opens the same form and saves first.
  await ctx.asSomeoneElse(ADMIN, async (p) => {
    await p.goto(ctx.url(edit), { waitUntil: "load" });
    await p.fill("#council_notes", theirs);
    const saved = await submit(p);
    ctx.expect(saved && saved.status() === 200 && new URL(p.url()).pathname === href, `the first save ended at ${p.url()}`);
  });

  // The commissioner's form was opened before that save.
  await page.fill("#council_notes", mine);
  const refused = await submit(page);
  ctx.expect(refused && refused.status() === 409, `the second save answered ${refused && refused.status()}`);
  await ctx.step("the second save is refused");
  const notice = await page.locator("#stale").innerText();
  ctx.expect(notice.includes("This record changed since you opened it"), `notice said: ${notice}`);
  ctx.expect(notice.includes("Ada Ashworth (demo administrator) saved it"), `who: ${notice}`);
  ctx.expect(notice.includes("Your changes have not been saved"), `notice said: ${notice}`);
  const row = await page.locator("#stale tr", { hasText: "Council notes" }).innerText();
  ctx.expect(row.includes(theirs) && row.includes(mine), `the notes row read: ${row}`);
  ctx.expect((await page.inputValue("#council_notes")) === mine, "what the commissioner typed was lost");

  // Saving again replaces the notes, knowingly.
  const again = await submit(page);
  ctx.expect(again && again.status() === 200 && new URL(page.url()).pathname === href, `saving again ended at ${page.url()}`);
  await ctx.step("saved again");
  ctx.expect((await page.locator("main").innerText()).includes(mine), "the service page does not show the commissioner's notes");
}
