// An officer's own pages are served from kept copies of their session (issue 18 item 3,
// decision 48), and their change shows at once. The demo commissioner lists the services bought
// by spot purchase, twice (the second answer is the session's kept copy), records a spot
// purchase for a service the council does not contract, and the same list counts one more and
// names it at once. They put it back, and the list counts as before. Once they have signed out,
// the same address asks them to sign in, though it was kept a moment before.
export const name = "officers' pages: a session's kept copies, and its own change shows at once";

const SPOT = "/services?contract_status=spot";

async function counted(page) {
  const heading = (await page.locator("#results").innerText()).trim();
  const m = heading.match(/^([\d,]+) services?\b/);
  if (!m) throw new Error(`the results heading read: ${heading}`);
  return { heading, n: Number(m[1].replace(/,/g, "")) };
}

async function setContract(page, ctx, id, status, label) {
  await ctx.goto(`/services/${id}/edit`, { label: `${label}: the council's details` });
  await page.check(`input[name=contract_status][value=${status}]`);
  const [saved] = await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("main form button[type=submit]")]);
  ctx.expect(saved && saved.status() === 200, `${label}: saving answered ${saved && saved.status()}`);
  const main = await page.locator("main").innerText();
  ctx.expect(main.includes("The council's details have been saved"), `${label}: no confirmation: ${main.slice(0, 300)}`);
  await ctx.step(`${label}: saved`);
}

async function listedNames(page) {
  return (await page.locator("main table tbody").innerText()).replace(/\s+/g, " ");
}

export async function run(page, ctx) {
  await ctx.signIn();
  await ctx.goto(SPOT, { label: "spot purchases" });
  const before = await counted(page);
  ctx.expect(before.heading.includes("Spot purchase"), `the heading does not name its filter: ${before.heading}`);
  await ctx.goto(SPOT, { label: "spot purchases again (the session's kept copy)" });
  const again = await counted(page);
  ctx.expect(again.heading === before.heading, `the same list read differently: ${again.heading} after ${before.heading}`);

  await ctx.goto("/services?contract_status=not_contracted&sort=name", { label: "services not contracted" });
  const link = page.locator("main table tbody a").first();
  const name = (await link.innerText()).trim();
  const id = (await link.getAttribute("href")).split("/").pop();
  ctx.expect(name.length > 0 && id.length > 0, "no service listed as not contracted");

  await setContract(page, ctx, id, "spot", "contracting");
  await ctx.goto(SPOT, { label: "spot purchases after contracting one" });
  const after = await counted(page);
  ctx.expect(after.n === before.n + 1, `after contracting: ${after.heading}, before: ${before.heading}`);
  ctx.expect((await listedNames(page)).includes(name), `${name} is not listed among spot purchases`);

  await setContract(page, ctx, id, "not_contracted", "putting it back");
  await ctx.goto(SPOT, { label: "spot purchases after putting it back" });
  const back = await counted(page);
  ctx.expect(back.n === before.n, `after putting it back: ${back.heading}, before: ${before.heading}`);

  await ctx.goto(SPOT, { label: "kept once more before signing out" });
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("form[action='/sign-out'] button")]);
  await ctx.step("signed out");
  await ctx.goto(SPOT, { label: "the same list after signing out" });
  ctx.expect(new URL(page.url()).pathname === "/sign-in", `after signing out the list was served at ${page.url()}`);
  const h1 = (await page.locator("h1").innerText()).trim();
  ctx.expect(h1.length > 0 && /sign in/i.test(h1), `the page after signing out is headed: ${h1}`);
}
