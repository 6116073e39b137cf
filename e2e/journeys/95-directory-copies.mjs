// The public directory serves kept copies of its pages (issue 18 item 3, docs/directory.md),
// and a change an officer makes shows to the public at once. A member of the public (not signed
// in) finds a service the council does not contract and searches for it among contracted
// services twice (the second answer is a kept copy): none found. The demo commissioner, in a
// browser of their own, records a spot purchase contract for it; the public's same search then
// finds it, and its page says "Council contracted: Yes". The commissioner puts it back, and the
// search finds none again.
export const name = "public directory: kept copies, and an officer's change shows at once";

const COMMISSIONER = "commissioner@demo.caremarket.test";

async function results(page) {
  return (await page.locator("#results-heading").innerText()).trim();
}

async function setContract(ctx, id, status, label) {
  await ctx.asSomeoneElse(COMMISSIONER, async (p) => {
    await p.goto(ctx.url(`/services/${id}/edit`), { waitUntil: "load" });
    await p.check(`input[name=contract_status][value=${status}]`);
    const [saved] = await Promise.all([p.waitForNavigation({ waitUntil: "load" }), p.click("main form button[type=submit]")]);
    ctx.expect(saved && saved.status() === 200, `${label}: saving answered ${saved && saved.status()}`);
    const main = await p.locator("main").innerText();
    ctx.expect(main.includes("The council's details have been saved"), `${label}: no confirmation: ${main.slice(0, 300)}`);
  });
}

export async function run(page, ctx) {
  await ctx.goto("/directory?contracted=no", { label: "the public lists services the council does not contract" });
  const first = page.locator("main ul.govuk-list h3 a").first();
  const name = (await first.innerText()).trim();
  const id = (await first.getAttribute("href")).split("/").pop();
  ctx.expect(name.length > 0 && id.length > 0, "no service listed");

  const search = `/directory?q=${encodeURIComponent(name)}&contracted=yes`;
  for (const label of ["searched among contracted services", "the same search again (a kept copy)"]) {
    await ctx.goto(search, { label });
    const heading = await results(page);
    ctx.expect(heading === "0 services found", `${label}: ${heading}`);
  }

  await setContract(ctx, id, "spot", "contracting");
  await ctx.goto(search, { label: "the same search after the commissioner contracted it" });
  ctx.expect((await results(page)) === "1 service found", `after contracting: ${await results(page)}`);
  const listed = (await page.locator("main ul.govuk-list").innerText()).replace(/\s+/g, " ");
  ctx.expect(listed.includes(name) && listed.includes("Council contracted Yes"), `the result read: ${listed}`);
  await ctx.goto(`/directory/services/${id}`, { label: "its page" });
  const row = (await page.locator(".govuk-summary-list__row", { hasText: "Council contracted" }).innerText()).replace(/\s+/g, " ");
  ctx.expect(row.trim() === "Council contracted Yes", `its page's row read: ${row}`);

  await setContract(ctx, id, "not_contracted", "putting it back");
  await ctx.goto(search, { label: "the same search after it was put back" });
  ctx.expect((await results(page)) === "0 services found", `after putting back: ${await results(page)}`);
}
