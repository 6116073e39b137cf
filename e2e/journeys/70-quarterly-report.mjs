// A commissioner opens the quarterly Market Oversight Report from the navigation, reads last
// quarter's figures and words, sees this quarter carry those words forward, writes a section
// (after the page refuses a section the market does not have), downloads the Word document,
// and publishes the quarter, after which it offers no more editing.
export const name = "commissioner: quarterly report read, section written, Word downloaded, published";

export async function run(page, ctx) {
  await ctx.signIn();
  await ctx.goto("/dashboard", { label: "dashboard" });
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("nav a:has-text('Quarterly report')")]);
  await ctx.step("quarterly report");
  const h1 = (await page.locator("h1").innerText()).trim();
  ctx.expect(h1.startsWith("Market Oversight Report: Quarter "), `heading: ${h1}`);
  let main = await page.locator("main").innerText();
  ctx.expect(main.includes("Care home occupancy by bed type"), "the occupancy table");
  ctx.expect(/Care home beds occupied: \d+%/.test(main), "the occupancy figure");
  ctx.expect(main.includes("Increase occupancy overall"), "last quarter's action plan");
  ctx.expect(main.includes("Appendix: figures"), "the appendix");
  ctx.expect(main.includes("This report is the paper for"), "the committee item this report is the paper of");
  ctx.expect(!main.includes("Quality: Self-Directed Support"), "Self-Directed Support has no Quality section");

  // Today: the words are carried forward from last quarter.
  await page.selectOption("#as_at", { index: 0 });
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("button:has-text('Show the report')")]);
  await ctx.step("report as at today");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("Increase occupancy overall"), "words carried into this quarter");
  const asAt = new URL(page.url()).searchParams.get("as_at");

  await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    page.click("a:has-text('Write the narrative and action plan'):has(span:text('Living and Ageing Well, Value for money'))"),
  ]);
  await ctx.step("section form");
  ctx.expect((await page.locator("h1").innerText()).trim() === "Living and Ageing Well: Value for money", "section heading");
  const words = `Journey words ${Date.now()}`;
  await page.fill("#narrative", words);
  await page.fill("#action_plan", "Renew our fee rates model");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("button:has-text('Save the section')")]);
  await ctx.step("section saved");
  ctx.expect((await page.locator(".govuk-notification-banner").innerText()).includes("The section was saved."), "no confirmation");
  ctx.expect((await page.locator("main").innerText()).includes(words), "the words are not on the report");

  const doc = await page.request.get(`/reports/quarterly.docx?as_at=${asAt}`);
  ctx.expect(doc.status() === 200, `Word download status ${doc.status()}`);
  ctx.expect((doc.headers()["content-disposition"] || "").includes(".docx"), "a .docx attachment");
  const body = await doc.body();
  ctx.expect(body.length > 2000 && body[0] === 0x50 && body[1] === 0x4b, "a zip (docx) body");

  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("button:has-text('Publish the report as at')")]);
  await ctx.step("published");
  ctx.expect((await page.locator(".govuk-notification-banner").innerText()).includes("now frozen"), "no publication banner");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("Published"), "published tag");
  ctx.expect(!main.includes("Write the narrative and action plan"), "a published report offers no editing");
}
