// On a 375 px phone no page scrolls sideways (WCAG 2.2 1.4.10 reflow; issue 16 item 5): wide
// tables scroll inside their own region, long selects fit the screen. The admin sees every
// section; the journey follows the links on the main pages and measures each page it reaches.
export const name = "narrow screens: no page is wider than a phone";

const WIDTH = 375;

export async function run(page, ctx) {
  await page.setViewportSize({ width: WIDTH, height: 800 });
  await page.goto("/sign-in");
  await page.fill("#email", "admin@demo.caremarket.test");
  await page.fill("#password", ctx.password);
  await page.click("button:has-text('Sign in')");
  const start = ["/dashboard", "/services", "/providers", "/quality", "/quality/signals", "/quality/watch-list", "/capacity", "/brokerage", "/direct-payments", "/fees", "/governance", "/reports"];
  const queue = [...start];
  const seen = new Set();
  const wide = [];
  let measured = 0;
  while (queue.length && measured < 80) {
    const href = queue.shift();
    if (seen.has(href)) continue;
    seen.add(href);
    const r = await page.goto(href).catch(() => null);
    if (!r || r.status() !== 200 || !(r.headers()["content-type"] || "").includes("text/html")) continue;
    measured++;
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width > WIDTH) wide.push(`${href} is ${width} px wide`);
    if (start.includes(href)) {
      const links = await page.locator("main a[href^='/']").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
      for (const l of links) {
        if (!seen.has(l) && !l.startsWith("/assets") && !/\.(csv|xlsx|docx|json)(\?|$)/.test(l) && !l.includes("/download")) queue.push(l);
      }
    }
  }
  await page.goto("/services");
  await ctx.step("the register on a phone");
  ctx.expect(measured > 30, `only ${measured} pages were measured`);
  ctx.expect(wide.length === 0, `pages wider than a ${WIDTH} px phone:\n${wide.join("\n")}`);
}
