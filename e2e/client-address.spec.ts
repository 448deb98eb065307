import { formToken, MIN_FILL_MS, resetContactLimit, uniq } from "./contact-helpers";
import { expect, test } from "./fixtures";
import { E2E } from "./settings";

// Without a trusted proxy in front, the console takes the client address from the socket, so a
// client cannot pick a fresh address per request to slip past per-address limits.
test("a forged X-Forwarded-For does not reset the per-address contact limit", async ({
  request,
  db,
}) => {
  resetContactLimit(db);
  // A token is good for one message: one each, all fetched before the fill-time wait.
  const tokens = await Promise.all(Array.from({ length: 6 }, () => formToken(request)));
  await new Promise((r) => setTimeout(r, MIN_FILL_MS));
  const batch = uniq("forged");
  const statuses: number[] = [];
  for (let i = 1; i <= 6; i++) {
    const res = await request.post("/api/v1/contact", {
      headers: { origin: E2E.consoleUrl, "x-forwarded-for": `203.0.113.${i}` },
      data: {
        name: `${batch} #${i}`,
        email: `s${i}@forged.example`,
        message: `Message ${i} from a forged address.`,
        formToken: tokens[i - 1],
      },
    });
    statuses.push(res.status());
  }
  expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  const addresses = db
    .prepare("SELECT DISTINCT remote_ip AS ip FROM contact_messages WHERE name LIKE ?")
    .all(`${batch} #%`) as { ip: string | null }[];
  expect(addresses.map((a) => a.ip)).toEqual(["127.0.0.1"]);
  resetContactLimit(db);
});

test("sign-in records the socket address, not a forged header", async ({ request, db }) => {
  const login = await request.post("/api/v1/auth/sign-in", {
    headers: { origin: E2E.consoleUrl, "x-forwarded-for": "198.51.100.7" },
    data: { email: "nobody@forged.example", password: "not the password at all" },
  });
  expect(login.status()).toBeGreaterThanOrEqual(400);
  const row = db
    .prepare(
      "SELECT remote_ip AS ip FROM audit_events WHERE action = 'user.sign_in_fail' AND target_id = ? ORDER BY seq DESC LIMIT 1",
    )
    .get("nobody@forged.example") as { ip: string | null } | undefined;
  expect(row?.ip).toBe("127.0.0.1");
});
