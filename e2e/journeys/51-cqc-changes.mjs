// The commissioner sees on the dashboard what the latest CQC import changed, opens the list of
// changes to acknowledge (issue 16 item 13), filters it to rating changes, acknowledges one with
// a note and then all shown, and finds them on the Acknowledged tab with their own name.
export const name = "commissioner: CQC changes to acknowledge";

export async function run(page, ctx) {
  await page.goto("/sign-in");
  await page.fill("#email", ctx.email);
  await page.fill("#password", ctx.password);
  await page.click("button:has-text('Sign in')");
  await ctx.step("signed in as commissioner");

  await ctx.goto("/dashboard", { label: "dashboard" });
  const link = page.locator("main a", { hasText: /\d+ CQC changes? to acknowledge/ });
  ctx.expect(await link.count() === 1, "the dashboard does not count the CQC changes to acknowledge");
  const counted = Number((await link.innerText()).match(/(\d+)/)[1]);
  await link.click();
  await ctx.step("CQC changes to acknowledge");
  const main = async () => (await page.locator("main").innerText()).replace(/\s+/g, " ");
  let text = await main();
  ctx.expect(text.includes(`New (${counted})`), `the New tab does not read New (${counted}): ${text.slice(0, 300)}`);
  ctx.expect(/Rating changed [A-Za-z ]+ → [A-Za-z ]+, report published \d+ \w+ \d{4}/.test(text), "no rating change reads 'from → to, report published'");
  ctx.expect(text.includes("New service") && text.includes("Moss Bank View Care Home"), "the new care home is not listed");
  ctx.expect(text.includes("Deregistered") && text.includes("Left CQC's register on"), "no deregistration is listed");
  ctx.expect(text.includes("CQC API changes, this week"), "the import that found the changes is not named");
  ctx.expect(await page.locator("tbody .govuk-tag", { hasText: /^New$/ }).count() === counted, "each change is not tagged New");

  // Only the rating changes, and the filter stays in the URL.
  await page.selectOption("#kind", "rating_change");
  await page.click("button:has-text('Show')");
  await ctx.step("rating changes only");
  ctx.expect(new URL(page.url()).searchParams.get("kind") === "rating_change", "the filter is not in the URL");
  text = await main();
  ctx.expect(!text.includes("Moss Bank View Care Home"), "the filter still shows a new service");
  const rows = page.locator("tbody tr");
  const ratingRows = await rows.count();
  ctx.expect(ratingRows >= 2, `only ${ratingRows} rating changes`);
  const service = (await rows.first().locator("a").innerText()).trim();

  // Nothing ticked: the error summary names the field.
  await page.click("button:has-text('Acknowledge selected')");
  await ctx.step("nothing selected");
  ctx.expect((await page.locator(".govuk-error-summary").innerText()).includes("Select at least one change to acknowledge"), "no error summary");

  // One, with a note.
  await page.locator("input[name='change_id']").first().check();
  await page.fill("#note", "Quality visit booked");
  await page.click("button:has-text('Acknowledge selected')");
  await ctx.step("one change acknowledged");
  let banner = (await page.locator(".govuk-notification-banner--success").innerText()).replace(/\s+/g, " ");
  ctx.expect(banner.includes("1 change acknowledged"), `the banner reads "${banner}"`);
  ctx.expect(new URL(page.url()).searchParams.get("kind") === "rating_change", "the list forgot its filter");
  text = await main();
  ctx.expect(text.includes(`New (${counted - 1})`), `the New tab does not read New (${counted - 1})`);

  // All the rating changes shown.
  await page.click("button:has-text('Acknowledge all shown')");
  await ctx.step("all shown acknowledged");
  banner = (await page.locator(".govuk-notification-banner--success").innerText()).replace(/\s+/g, " ");
  ctx.expect(banner.includes(`${ratingRows - 1} change`), `the banner reads "${banner}"`);
  ctx.expect((await main()).includes("There are no new changes of this kind"), "rating changes are still listed as new");

  await page.click("nav[aria-label='New or acknowledged'] a:has-text('Acknowledged')");
  await ctx.step("the acknowledged tab");
  text = await main();
  ctx.expect(text.includes(service) && text.includes("Quality visit booked"), "the acknowledged change and its note are not listed");
  ctx.expect(text.includes("Cam Holroyd (demo commissioner)"), "who acknowledged is not named");
  ctx.expect(!text.includes("commissioner@demo.caremarket.test"), "an email address is shown instead of a name");
  ctx.expect(text.includes("Quinn Lees (demo quality officer)"), "the earlier acknowledgements by the quality officer are not shown");
}
