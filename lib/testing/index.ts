export { createTestDb, MIGRATIONS, REPO_ROOT, testContext } from "./db";
