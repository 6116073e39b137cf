// A CQC file uploaded from the browser (issue 18 item 1: the upload is read as it is applied, and
// one awaiting confirmation keeps its file). The administrator uploads a directory file that lists
// one new Northmoor location and says it is complete: every other registered CQC service of
// Northmoor would be marked deregistered, so nothing is imported and they are listed first, as
// many as the register's own list of registered services says. The kept file is read again when
// the page is shown a second time, with the same list. The administrator does not confirm: they
// import the same file as partial, which adds the one location, deregisters nothing, and the new
// service is on the register.
export const name = "CQC upload: a complete file's deregistrations shown from the kept file, then imported as partial";

const num = (s) => parseInt(s.replace(/[^0-9]/g, ""), 10);

// The 15-column care directory layout, as CQC_directory.csv has it.
const HEADER =
  "Name,Also known as,Address,Postcode,Phone number,Service's website (if available),Service types,Date of latest check," +
  "Specialisms/services,Provider name,Local authority,Region,Location URL,CQC Location ID (for office use only)," +
  "CQC Provider ID (for office use only)";
const LOCATION = "1-19990097001";
const SERVICE = "Journey Lane Home Support";
const ROW =
  `${SERVICE},,97 Journey Lane,OL1 1AA,0161 000 0097,,Homecare agencies,,Dementia,Journey Care Ltd,Northmoor,North West,` +
  `https://www.cqc.org.uk/location/${LOCATION},${LOCATION},1-199900970`;
const FILE = { name: "CQC_directory.csv", mimeType: "text/csv", buffer: Buffer.from(`${HEADER}\n${ROW}\n`) };

async function upload(page, ctx, completeness, label) {
  await ctx.goto("/imports/new", { label: `import CQC data (${completeness})` });
  await page.setInputFiles("#file", FILE);
  await page.check(`input[name=completeness][value=${completeness}]`);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("main button:has-text('Import')")]);
  await ctx.step(label);
}

export async function run(page, ctx) {
  await ctx.goto("/sign-in", { label: "sign in as the administrator" });
  await page.fill("#email", "admin@demo.caremarket.test");
  await page.fill("#password", ctx.password);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("main button[type=submit]")]);
  ctx.expect(!new URL(page.url()).pathname.startsWith("/sign-in"), "signing in as the administrator failed");

  // The register's own count of CQC-registered services in the council's area (Northmoor).
  await ctx.goto("/services?registration=registered", { label: "registered services in the area" });
  const heading = await page.locator("main h1").innerText();
  let main = await page.locator("main").innerText();
  const counted = main.match(/([\d,]+) services?\b/);
  ctx.expect(counted, `the register list does not say how many services: ${main.slice(0, 300)}`);
  const registered = num(counted[1]);
  ctx.expect(registered > 10, `${heading}: only ${registered} registered services`);
  const firstId = (await page.locator("main").innerText()).match(/1-\d{6,}/);

  await upload(page, ctx, "complete", "a complete file that would deregister the rest");
  const pendingUrl = page.url();
  ctx.expect(new URL(pendingUrl).pathname.startsWith("/imports/pending/"), `not asked to confirm: ${pendingUrl}`);
  const h1 = await page.locator("main h1").innerText();
  ctx.expect(h1 === `Check the ${registered.toLocaleString("en-GB")} services to be marked deregistered`, `heading reads "${h1}"`);
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("Nothing has been imported yet."), "the page does not say nothing was imported");
  const rows = page.locator("main table tbody tr");
  ctx.expect((await rows.count()) === registered, `${await rows.count()} rows listed, not ${registered}`);
  const listedIds = await rows.locator("td:nth-child(2)").allInnerTexts();
  ctx.expect(!listedIds.includes(LOCATION), "the file's own location is listed as closing");
  const las = new Set(await rows.locator("td:nth-child(3)").allInnerTexts());
  ctx.expect(las.size === 1 && las.has("Northmoor"), `local authorities listed: ${[...las].join(", ")}`);
  if (firstId) ctx.expect(listedIds.includes(firstId[0]), `${firstId[0]}, on the register's list, is not listed`);

  // Shown again, the kept file gives the same list.
  await ctx.goto(new URL(pendingUrl).pathname, { label: "the same upload shown again" });
  ctx.expect((await page.locator("main h1").innerText()) === h1, "the list changed when shown again");
  ctx.expect((await page.locator("main table tbody tr").count()) === registered, "a different number of rows when shown again");

  // Not ticked: asked again, nothing imported.
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("main button:has-text('Import and mark them deregistered')")]);
  await ctx.step("not confirmed");
  ctx.expect(
    (await page.locator(".govuk-error-summary").innerText()).includes("Confirm that these services have closed, or go back and import the file as partial"),
    "no error asking to confirm or import as partial",
  );

  // The file holds one row only: imported as partial, nothing is deregistered.
  await upload(page, ctx, "partial", "the same file imported as partial");
  ctx.expect((await page.locator("main h1").innerText()).includes("CQC_directory.csv"), "not the import's report");
  const summary = async (key) => (await page.locator(`main .govuk-summary-list__row:has(dt:text-is("${key}")) dd`).first().innerText()).trim();
  ctx.expect((await summary("New services")) === "1", `new services: ${await summary("New services")}`);
  ctx.expect((await summary("Deregistered")) === "0", `deregistered: ${await summary("Deregistered")}`);

  await ctx.goto(`/services?q=${encodeURIComponent(SERVICE)}&registration=registered`, { label: "the new service on the register" });
  main = await page.locator("main").innerText();
  ctx.expect(main.includes(SERVICE), `${SERVICE} is not on the register`);
  await ctx.goto("/services?registration=registered", { label: "registered services after the import" });
  const after = num((await page.locator("main").innerText()).match(/([\d,]+) services?\b/)[1]);
  ctx.expect(after === registered + 1, `${after} registered services, not ${registered} + 1`);
}
