import { main } from "./program";

const code = await main(process.argv);
// Lingering watchers or sockets must not keep a finished command alive; stdout drains first.
process.stdout.write("", () => process.exit(code));
