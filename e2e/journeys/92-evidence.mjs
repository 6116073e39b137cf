// Evidence files (issue 16 item 18). The demo provider user opens one of its open actions in the
// portal, adds a PNG (its size and type as the page lists them worked out here from the bytes
// sent), is refused a text file named .pdf (by its content, naming the file), and downloads its
// file: an attachment of the detected type, never sniffed. The quality officer sees the file on
// the action's own page, removes it (banner, row gone) and finds the demo's photo on a visit.
// Last, the provider opens one of its cost of care returns and finds the same section there.
// Runs twice against one demo: each run removes the file it added.
export const name = "evidence files: a provider adds one to an action, an officer sees and removes it";

async function signInAs(page, ctx, email) {
  await ctx.goto("/sign-in", { label: `sign in as ${email}` });
  await page.fill("#email", email);
  await page.fill("#password", ctx.password);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("main button[type=submit]")]);
  await ctx.step(`signed in as ${email}`);
}

async function submit(page, ctx, locator, label) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), locator.click()]);
  await ctx.step(label);
}

// A 1x1 PNG.
const PNG = Buffer.from(
  "89504E470D0A1A0A0000000D49484452000000010000000108060000001F15C4890000000A49444154789C63000100000500010D0A2DB40000000049454E44AE426082",
  "hex",
);

// Sizes as the pages print them.
const sizeInWords = (n) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : n === 1 ? "1 byte" : `${n} bytes`);

export async function run(page, ctx) {
  const stamp = Date.now() % 100000;
  const fileName = `site photo ${stamp}.png`;
  await signInAs(page, ctx, "provider@demo.caremarket.test");
  await ctx.goto("/portal/actions", { label: "the provider's actions" });
  const first = page.locator("main a[href^='/portal/actions/']").first();
  const title = (await first.innerText()).trim();
  await submit(page, ctx, first, `the action ${title}`);
  const actionPath = new URL(page.url()).pathname;
  const actionId = actionPath.split("/").pop();
  let section = await page.locator("#evidence-files").innerText();
  ctx.expect(section.includes("Evidence") && section.includes("Add an evidence file"), `no evidence section: ${section}`);

  // A PNG: listed with its type, size and sender, with a banner.
  await page.setInputFiles("#evidence_file", { name: fileName, mimeType: "image/png", buffer: PNG });
  await submit(page, ctx, page.locator("#evidence-files button:has-text('Add file')"), "file added");
  let main = await page.locator("main").innerText();
  ctx.expect(main.includes("Evidence file added"), `no banner: ${main.slice(0, 300)}`);
  const row = page.locator("#evidence-files tbody tr").filter({ hasText: fileName });
  const rowText = (await row.innerText()).replace(/\s+/g, " ");
  for (const want of ["PNG image", sizeInWords(PNG.length), "Pat Kershaw"]) {
    ctx.expect(rowText.includes(want), `the row reads "${rowText}", wanted ${want}`);
  }
  ctx.expect(!(await page.locator("#evidence-files button:has-text('Remove')").count()), "a provider is offered Remove");

  // The download: the bytes sent, as an attachment of the detected type.
  const href = await row.locator("a").getAttribute("href");
  const res = await page.request.get(ctx.url(href));
  ctx.expect(res.status() === 200, `download answered ${res.status()}`);
  const headers = res.headers();
  ctx.expect(headers["content-type"] === "image/png", `content type ${headers["content-type"]}`);
  ctx.expect((headers["content-disposition"] || "").startsWith(`attachment; filename="${fileName}"`), `disposition ${headers["content-disposition"]}`);
  ctx.expect(headers["x-content-type-options"] === "nosniff", "no nosniff");
  ctx.expect(Buffer.compare(await res.body(), PNG) === 0, "the download is not the file sent");

  // Text named .pdf is refused by its content.
  await page.setInputFiles("#evidence_file", { name: `minutes ${stamp}.pdf`, mimeType: "application/pdf", buffer: Buffer.from("name,notes\nA,late\n") });
  await submit(page, ctx, page.locator("#evidence-files button:has-text('Add file')"), "text refused");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("There is a problem") && main.includes(`The file minutes ${stamp}.pdf is not an accepted type`), `no refusal: ${main.slice(0, 400)}`);
  ctx.expect((await page.title()).startsWith("Error: "), "the title does not say Error");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("button:has-text('Sign out')")]);

  // The quality officer: the file on the action's page, then removed.
  await signInAs(page, ctx, "quality@demo.caremarket.test");
  await ctx.goto(`/quality/actions/${actionId}`, { label: "the officer's action page" });
  const officerRow = page.locator("#evidence-files tbody tr").filter({ hasText: fileName });
  const officerText = (await officerRow.innerText()).replace(/\s+/g, " ");
  ctx.expect(officerText.includes("Pat Kershaw") && officerText.includes(sizeInWords(PNG.length)), `the officer's row reads ${officerText}`);
  await submit(page, ctx, officerRow.locator("button:has-text('Remove')"), "file removed");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("Evidence file removed"), `no banner: ${main.slice(0, 300)}`);
  ctx.expect(!main.includes(fileName), "the removed file is still listed");

  // The demo's photo on a visit that raised one of the provider's actions.
  const visitLink = page.locator("main a[href^='/quality/visits/']");
  if (await visitLink.count()) {
    await submit(page, ctx, visitLink.first(), "the visit");
    section = await page.locator("#evidence-files").innerText();
    ctx.expect(section.includes("Evidence"), `no evidence section on the visit: ${section}`);
  }

  // A cost of care return takes the provider's accounts: its page in the portal has the section.
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("button:has-text('Sign out')")]);
  await signInAs(page, ctx, "provider@demo.caremarket.test");
  await ctx.goto("/portal/cost-of-care", { label: "the provider's cost of care returns" });
  const ret = page.locator("main a[href^='/portal/cost-of-care/']").filter({ hasNotText: "Send" }).first();
  if (await ret.count()) {
    await submit(page, ctx, ret, "a cost of care return");
    section = await page.locator("#evidence-files").innerText();
    ctx.expect(section.includes("Evidence") && section.includes("Add an evidence file") && section.includes("cost of care return"), `no evidence section on the return: ${section}`);
  } else {
    ctx.expect(false, "the demo provider has no cost of care return to open");
  }
}
