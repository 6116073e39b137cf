// Money limits (issue 16 item 16). The direct payments officer reads the reclaims waiting for a
// second approver (their own, above their £2,500 limit) with no button to approve them; the
// administrator, whose limit covers them, approves one and the DP's page names who approved it;
// the officer reviews a line of card spend in a blocked merchant category, which moves to
// Reviewed with what they found; and the administrator reads each officer's limits.
export const name = "money limits: a reclaim approved by a second officer, card spend reviewed, limits shown";

const OFFICER = "Dev Ogden (demo direct payments officer)";
const MANAGER = "Ada Ashworth (demo administrator)";

async function signInAs(page, ctx, email, who) {
  await page.context().clearCookies();
  await page.goto("/sign-in");
  await page.fill("#email", email);
  await page.fill("#password", ctx.password);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("main button[type=submit]")]);
  await ctx.step(`signed in as ${who}`);
}

async function read(locator) {
  return (await locator.innerText()).replace(/\s+/g, " ").trim();
}

const pence = (s) => Math.round(parseFloat(s.replace(/[£,]/g, "")) * 100);

export async function run(page, ctx) {
  await signInAs(page, ctx, "dp@demo.caremarket.test", "the DP officer");
  await ctx.goto("/direct-payments/approvals", { label: "reclaims to approve" });
  let main = await read(page.locator("main"));
  ctx.expect(main.includes("Your reclaim approval limit is £2,500.00."), "the officer's limit is not said");
  const rows = page.locator("main table tbody tr");
  const waiting = await rows.count();
  let ref = null;
  if (waiting > 0) {
    const cells = await rows.first().locator("td").allInnerTexts();
    ref = cells[0].trim();
    ctx.expect(cells[2].trim() === OFFICER, `put forward by "${cells[2]}"`);
    ctx.expect(pence(cells[3]) > 250_000, `${cells[3]} is not above the officer's £2,500 limit`);
    ctx.expect(cells[4].includes("You put this forward: another officer must approve it"), `the officer is offered "${cells[4]}"`);
    ctx.expect((await page.locator("main button:has-text('Approve')").count()) === 0, "the officer who put it forward can approve it");

    await signInAs(page, ctx, "admin@demo.caremarket.test", "the administrator");
    await ctx.goto("/direct-payments/approvals", { label: "reclaims to approve, as the manager" });
    main = await read(page.locator("main"));
    ctx.expect(main.includes("Your reclaim approval limit is £50,000.00."), "the manager's limit is not said");
    const row = page.locator("main table tbody tr", { hasText: ref });
    const amount = (await row.locator("td").nth(3).innerText()).trim();
    const href = await row.locator("td").first().locator("a").getAttribute("href");
    await Promise.all([page.waitForNavigation({ waitUntil: "load" }), row.locator("button:has-text('Approve')").click()]);
    await ctx.step("reclaim approved");
    ctx.expect((await read(page.locator(".govuk-notification-banner--success"))).includes("Reclaim approved"), "no confirmation");
    ctx.expect((await page.locator("main table tbody tr", { hasText: ref }).count()) === 0, `${ref} is still waiting`);
    ctx.expect((await page.locator("main table tbody tr").count()) === waiting - 1, "the queue did not shrink by one");
    await ctx.goto(href, { label: "the direct payment's page after approval" });
    main = await read(page.locator("main"));
    ctx.expect(main.includes(`Requested ${amount}`) && main.includes(`Approved by ${MANAGER}`), `${ref}'s page does not name who approved ${amount}`);
    ctx.expect(!main.includes("Awaiting second approval"), `${ref} still reads as awaiting approval`);
  } else {
    ctx.expect(main.includes("No reclaims are waiting for a second approver."), "an empty queue is not said");
  }

  // Card spend in a blocked category: the officer records what they found.
  await signInAs(page, ctx, "dp@demo.caremarket.test", "the DP officer again");
  await ctx.goto("/direct-payments/card-spend", { label: "card spend to review" });
  main = await read(page.locator("main"));
  const summary = await read(page.locator("#flagged-summary"));
  const m = summary.match(/^(\d+) lines? to review, (£[\d,.]+) in all; (\d+) reviewed\.$/);
  ctx.expect(m, `the summary reads "${summary}"`);
  const lines = page.locator("main table tbody tr");
  const n = await lines.count();
  ctx.expect(n === parseInt(m[1], 10), `${n} lines listed, ${m[1]} said`);
  let sum = 0;
  for (const a of await lines.locator("td:nth-child(3)").allInnerTexts()) sum += pence(a);
  ctx.expect(sum === pence(m[2]), `the lines add up to ${sum}p, not ${m[2]}`);
  const reviewedBefore = parseInt(m[3], 10);
  if (n > 0) {
    const first = lines.first();
    const merchant = (await first.locator("td").nth(4).innerText()).trim();
    ctx.expect(/^\d{4} /.test(merchant), `merchant category reads "${merchant}"`);
    const note = `Asked about ${merchant.slice(0, 4)}: bought by mistake, repaid`;
    await first.locator("textarea").fill(note);
    await Promise.all([page.waitForNavigation({ waitUntil: "load" }), first.locator("button:has-text('Record review')").click()]);
    await ctx.step("card spend reviewed");
    ctx.expect((await read(page.locator(".govuk-notification-banner--success"))).includes("Review recorded"), "no confirmation");
    ctx.expect((await page.locator("main table tbody tr").count()) === n - 1, "the line is still to review");
    await ctx.goto("/direct-payments/card-spend?reviewed=1", { label: "card spend reviewed" });
    const done = await read(page.locator("main"));
    ctx.expect(done.includes(note) && done.includes(OFFICER), "the review does not say what was found and by whom");
    ctx.expect((await read(page.locator("#flagged-summary"))).startsWith(`${reviewedBefore + 1} line`), "the reviewed count did not grow by one");
  }

  // The administrator reads the limits.
  await signInAs(page, ctx, "admin@demo.caremarket.test", "the administrator again");
  await ctx.goto("/admin/approval-limits", { label: "approval limits" });
  const officer = await page.locator("#officer-limits tbody tr", { hasText: OFFICER }).locator("td").allInnerTexts();
  ctx.expect(officer[1].trim() === "£2,500.00", `the DP officer's reclaim limit reads "${officer[1]}"`);
  const manager = await page.locator("#officer-limits tbody tr", { hasText: MANAGER }).locator("td").allInnerTexts();
  ctx.expect(manager[1].trim() === "£50,000.00", `the manager's reclaim limit reads "${manager[1]}"`);
}
