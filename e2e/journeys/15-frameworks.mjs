// A commissioner adds a contract framework with two lots, is told what is wrong
// with the first attempt, puts a service on a lot and takes it off again.
export const name = "commissioner: contract framework, lots and members";

export async function run(page, ctx) {
  await ctx.signIn();
  await ctx.goto("/frameworks", { label: "frameworks" });
  ctx.expect((await page.locator("h1").innerText()).trim() === "Frameworks", "frameworks heading missing");
  await page.click("a:has-text('Add a framework')");
  await ctx.step("add a framework form");

  // Unique per run, so that the journey can run twice against one demo.
  const name = `Journey Home Care Framework ${Date.now()}`;
  await page.fill("#name", name);
  await page.fill("#lots", "Lot 1 - North\nLot 2 - South");
  await page.fill("#starts_on-day", "1");
  await page.fill("#starts_on-month", "4");
  await page.fill("#starts_on-year", "2025");
  // The end before the start: refused with the reason.
  await page.fill("#ends_on-day", "31");
  await page.fill("#ends_on-month", "3");
  await page.fill("#ends_on-year", "2024");
  await page.check("input[name=kinds][value=home_care]");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("button:has-text('Save framework')")]);
  await ctx.step("end date before the start date");
  const summary = await page.locator(".govuk-error-summary").innerText();
  ctx.expect(summary.includes("The end date must be the same as or after the start date"), `error summary said: ${summary}`);
  ctx.expect((await page.inputValue("#name")) === name, "the name typed was not kept");

  await page.fill("#ends_on-year", "2029");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("button:has-text('Save framework')")]);
  await ctx.step("framework added");
  ctx.expect((await page.locator(".govuk-notification-banner").innerText()).includes("Framework added"), "no confirmation");
  ctx.expect((await page.locator("h1").innerText()).trim() === name, "framework page heading");
  const summaryList = await page.locator(".govuk-summary-list").innerText();
  ctx.expect(summaryList.includes("1 April 2025") && summaryList.includes("31 March 2029"), `dates: ${summaryList}`);
  ctx.expect(summaryList.includes("Home care"), `types of service: ${summaryList}`);

  // Put the first home care service offered on Lot 2.
  const option = page.locator("#service_id option:not([value=''])").first();
  const serviceText = (await option.innerText()).trim();
  const serviceName = serviceText.slice(0, serviceText.indexOf(" ("));
  await page.selectOption("#service_id", await option.getAttribute("value"));
  await page.selectOption("#lot_id", { label: "Lot 2 - South" });
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("button:has-text('Add service')")]);
  await ctx.step("service added to lot 2");
  ctx.expect((await page.locator(".govuk-notification-banner").innerText()).includes("Service added to the framework"), "no confirmation");
  const lot2 = page.locator("h2:has-text('Lot 2 - South') + .caremarket-table-scroll table");
  ctx.expect((await lot2.innerText()).includes(serviceName), `${serviceName} is not listed under Lot 2`);

  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), lot2.locator("button:has-text('Remove')").first().click()]);
  await ctx.step("service removed");
  ctx.expect((await page.locator(".govuk-notification-banner").innerText()).includes("Service removed from the framework"), "no confirmation");
  ctx.expect((await page.locator("h2:has-text('Lot 2 - South') + p").innerText()).includes("No services on this lot yet."), "lot 2 still lists a service");

  await ctx.goto("/frameworks", { label: "frameworks list with the new framework" });
  ctx.expect((await page.locator("table").innerText()).includes(name), "the new framework is not listed");
}
