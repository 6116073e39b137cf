// Settings on pages (issue 16 item 19). The administrator opens Settings from the menu, reads the
// council's name and the settings pages listed, and is told what is wrong with an empty name; the
// commissioner changes the brokerage rating rule, reads it back in words on the settings page and
// on a request's page, and puts it back as it was. The direct payments officer retires a funding
// service area, reads that it is no longer offered when a direct payment is recorded, and offers
// it again.
export const name = "settings: the council's name, the settings pages, the brokerage rating rule, retiring a DP list entry";

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

async function save(page, ctx, text, label) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.locator("main button", { hasText: text }).click()]);
  await ctx.step(label);
}

export async function run(page, ctx) {
  await signInAs(page, ctx, "admin@demo.caremarket.test", "the administrator");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.locator("nav a", { hasText: "Settings" }).first().click()]);
  await ctx.step("settings from the menu");
  const header = await read(page.locator("header.govuk-header").first());
  const name = await page.inputValue("#council_name");
  ctx.expect(name.length > 0 && header.includes(name), `the council's name "${name}" is not the header's`);
  const pages = await page.locator("#settings-pages dt a").allInnerTexts();
  for (const p of ["The council's area", "Approval limits", "Brokerage rating rule", "Direct payments lists", "Rate cards"]) {
    ctx.expect(pages.includes(p), `${p} is not listed: ${pages.join(", ")}`);
  }
  await page.fill("#council_name", " ");
  await save(page, ctx, "Save the council's name", "an empty name refused");
  const summary = await read(page.locator(".govuk-error-summary"));
  ctx.expect(summary.includes("Enter the council's name"), `the error summary reads "${summary}"`);
  ctx.expect((await page.locator(".govuk-error-summary a[href='#council_name']").count()) === 1, "the error does not link to the field");

  await signInAs(page, ctx, "commissioner@demo.caremarket.test", "the commissioner");
  await ctx.goto("/brokerage/settings", { label: "the rating rule" });
  const was = await read(page.locator("#rule-now"));
  const before = {
    overall: await page.locator("input[name=min_overall]:checked").getAttribute("value"),
    wellLed: await page.locator("input[name=min_well_led]:checked").getAttribute("value"),
    inspected: await page.locator("input[name=require_inspection]:checked").getAttribute("value"),
    off: await page.locator("input[name=allow_off_framework]:checked").getAttribute("value"),
  };
  await page.check("input[name=min_overall][value=good]");
  await page.check("input[name=min_well_led][value=any]");
  await save(page, ctx, "Save the rating rule", "rating rule changed");
  ctx.expect((await read(page.locator(".govuk-notification-banner--success"))).includes("The rating rule is saved"), "no confirmation");
  const now = await read(page.locator("#rule-now"));
  ctx.expect(now.startsWith("Now: providers rated Good or better overall,") && !now.includes("Well-led"), `the rule reads "${now}"`);
  // Put it back as it was.
  for (const [n, v] of [["min_overall", before.overall], ["min_well_led", before.wellLed], ["require_inspection", before.inspected], ["allow_off_framework", before.off]]) {
    await page.check(`input[name=${n}][value=${v}]`);
  }
  await save(page, ctx, "Save the rating rule", "rating rule put back");
  const back = await read(page.locator("#rule-now"));
  ctx.expect(back === was, `the rule was not put back: "${back}", was "${was}"`);

  await signInAs(page, ctx, "dp@demo.caremarket.test", "the direct payments officer");
  await ctx.goto("/direct-payments/settings/lists", { label: "the direct payments lists" });
  await save(page, ctx, "Retire Adults Future Options", "a funding service area retired");
  const banner = await read(page.locator(".govuk-notification-banner--success"));
  ctx.expect(banner.includes("Adults Future Options is no longer offered. Records that have it keep it."), `the banner reads "${banner}"`);
  const retired = await read(page.locator("table[aria-labelledby='service_area-retired-heading']"));
  ctx.expect(retired.includes("Adults Future Options"), `the retired table reads "${retired}"`);
  await ctx.goto("/direct-payments/new", { label: "recording a direct payment" });
  const areas = await read(page.locator("main fieldset").filter({ hasText: "Funding service area" }).first());
  ctx.expect(areas.includes("Older People") && !areas.includes("Adults Future Options"), `the areas offered read "${areas}"`);
  await ctx.goto("/direct-payments/settings/lists", { label: "the lists again" });
  await save(page, ctx, "Offer again Adults Future Options", "the area offered again");
  ctx.expect((await read(page.locator(".govuk-notification-banner--success"))).includes("List saved"), "no confirmation of offering it again");
  const inUse = await read(page.locator("table[aria-labelledby='service_area-heading']"));
  ctx.expect(inUse.includes("Adults Future Options"), "the area is not in use again");
  ctx.expect((await page.locator("#service_area-retired-heading").count()) === 0, "the area is still listed as retired");
}
