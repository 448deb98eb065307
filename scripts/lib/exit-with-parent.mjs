// Preloaded into the processes `npm start` supervises: stdin is a pipe from the supervisor,
// and it closes when the supervisor dies however it dies (even SIGKILL), so the child shuts
// itself down instead of living on as an orphan holding its port.
process.stdin.on("error", () => {});
process.stdin.on("close", () => process.kill(process.pid, "SIGTERM"));
process.stdin.resume();
