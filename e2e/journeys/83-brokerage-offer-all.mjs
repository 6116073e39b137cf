// Issue 16 item 10: the brokerage officer claims a waiting request and offers it to every
// eligible provider at once; a second officer sees who has it and has no offer buttons, only
// "Take over"; a home care provider accepts in the portal; another provider sees its offer
// withdrawn with the date; and the request shows no offer buttons any more.
export const name = "brokerage: offer to all, first to accept wins, one officer per request";

const OFFICER = "Bev Schofield (demo brokerage officer)";

async function signInAs(page, ctx, email) {
  await page.context().clearCookies();
  await page.goto("/sign-in");
  await page.fill("#email", email);
  await page.fill("#password", ctx.password);
  await page.click("button:has-text('Sign in')");
}

async function read(locator) {
  return (await locator.innerText()).replace(/\s+/g, " ").trim();
}

export async function run(page, ctx) {
  await signInAs(page, ctx, "brokerage@demo.caremarket.test");
  await ctx.goto("/brokerage?claim=unclaimed", { label: "unclaimed requests" });
  ctx.expect((await read(page.locator("#claim-shown"))).includes("the ones no one is working on"), "the unclaimed filter is not said");
  const hrefs = await page.locator('#waiting a[href^="/brokerage/requests/"]').evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  let url = null;
  for (const href of hrefs.slice(0, 30)) {
    await page.goto(href);
    if ((await page.locator("#offer_all button").count()) > 0) {
      url = href;
      break;
    }
  }
  ctx.expect(url, "no unclaimed request among the first 30 can be offered to all");
  await ctx.step("an unclaimed request");
  ctx.expect((await read(page.locator("#claimed-by"))) === "No one is working on this request.", "the request does not say it is unclaimed");

  // Claim it.
  await page.click("button:has-text('Claim this request')");
  await ctx.step("claimed");
  ctx.expect((await read(page.locator("#saved"))).includes("You are now working on this request"), "no banner after claiming");
  const claimed = await read(page.locator("#claimed-by"));
  ctx.expect(claimed.startsWith(`Being worked by ${OFFICER} since `) && claimed.endsWith("(you)"), `the claim reads "${claimed}"`);

  // Offer to all: the page says how many before confirming.
  const intro = await read(page.locator("#offer_all p.govuk-body"));
  const m = intro.match(/^This offers the package to (\d+) eligible providers? at once/);
  ctx.expect(m, `the offer to all does not say how many: "${intro}"`);
  const n = +m[1];
  ctx.expect(n >= 2, `only ${n} eligible provider`);
  ctx.expect((await read(page.locator("#offer_all button"))) === `Offer to all ${n} eligible providers`, "the button does not say how many");
  const title = await read(page.locator("h1"));
  const hours = title.match(/: ([\d.]+) hours a week$/)[1];
  const area = await read(page.locator(".govuk-summary-list__row:has(dt:text-is('Area')) dd"));
  await page.click("#offer_all button");
  await ctx.step("offered to all");
  ctx.expect(
    (await read(page.locator("#saved"))).includes(`Offered to ${n} eligible providers: the first to accept gets the package`),
    "no banner after offering to all",
  );
  ctx.expect((await page.locator("#offers tbody tr").count()) >= n, "the offers are not listed");

  // A second officer sees who has it, with no offer buttons, only "Take over".
  await signInAs(page, ctx, "admin@demo.caremarket.test");
  await ctx.goto(url, { label: "second officer sees the claim" });
  ctx.expect((await read(page.locator("#claimed-by"))).startsWith(`Being worked by ${OFFICER} since `), "the second officer is not told who has it");
  ctx.expect((await page.locator(`button:has-text('Take over from ${OFFICER}')`).count()) === 1, "no take-over button");
  ctx.expect((await page.locator("#offer_all").count()) === 0, "the second officer can offer to all");
  ctx.expect((await page.locator("#providers button").count()) === 0, "the second officer has offer buttons");
  ctx.expect((await page.locator("button[value='accept']").count()) === 0, "the second officer can record answers");

  // A home care provider accepts in the portal: the newest open offer is this package.
  await signInAs(page, ctx, "homecare@demo.caremarket.test");
  await ctx.goto("/portal/offers", { label: "provider's offers" });
  const card = page.locator(".govuk-summary-card").filter({ has: page.locator("button[value='accept']") }).first();
  const cardTitle = await read(card.locator(".govuk-summary-card__title"));
  ctx.expect(cardTitle.startsWith(`${hours} hours a week in ${area}, for `), `the newest open offer is "${cardTitle}"`);
  ctx.expect((await read(card.locator(".offer-status"))).includes("to every eligible provider: the first to accept gets it"), "the offer does not say it went to all");
  await card.locator("button[value='accept']").click();
  await ctx.step("provider accepted");
  ctx.expect((await read(page.locator("#saved"))).includes("You accepted the package"), "no banner after accepting");
  const accepted = page.locator(".govuk-summary-card").filter({ hasText: `${hours} hours a week in ${area}` }).first();
  ctx.expect((await read(accepted.locator(".offer-status"))).includes("You accepted on "), "the accepted offer does not say so");

  // Another provider sees its offer withdrawn, with the date, and cannot accept.
  await signInAs(page, ctx, "homecare2@demo.caremarket.test");
  await ctx.goto("/portal/offers", { label: "another provider's offers" });
  const other = page.locator(".govuk-summary-card").first();
  ctx.expect((await read(other.locator(".govuk-summary-card__title"))).startsWith(`${hours} hours a week in ${area}, for `), "the other provider's newest offer is not this package");
  const status = await read(other.locator(".offer-status"));
  ctx.expect(/Withdrawn on \d{1,2} \w+ \d{4} \d{2}:\d{2}: another provider accepted the package first/.test(status), `the withdrawn offer reads "${status}"`);
  ctx.expect((await other.locator("button").count()) === 0, "a withdrawn offer still has buttons");

  // The request: accepted, the other offers withdrawn, no offer buttons.
  await signInAs(page, ctx, "brokerage@demo.caremarket.test");
  await ctx.goto(url, { label: "the request after acceptance" });
  ctx.expect((await read(page.locator(".govuk-summary-list__row:has(dt:text-is('Status')) dd"))) === "Accepted", "the request is not accepted");
  const withdrawn = await page.locator("#offers tbody tr:has(td:text-is('Withdrawn'))").count();
  ctx.expect(withdrawn === n - 1, `${withdrawn} offers withdrawn, expected ${n - 1}`);
  ctx.expect((await page.locator("#offer_all").count()) === 0, "offer to all is still shown");
  ctx.expect((await page.locator("#providers button").count()) === 0, "offer buttons are still shown");
  ctx.expect((await page.locator("button[value='accept']").count()) === 0, "answer buttons are still shown");
  const history = await read(page.locator("#history"));
  ctx.expect(history.includes("Claimed the request") && history.includes(`Offered the package to all ${n} eligible providers`), "the history misses the claim or the offer");
}
