// A task handler for the agent's tests: runs INPUT_SCRIPT, steps separated by " && ":
//   say TEXT          print TEXT
//   vso TEXT          print "##vso[" + TEXT (a logging command)
//   env NAME          print "NAME=<its value>" (or "NAME unset")
//   sleep SECONDS     wait (SIGINT is reported as "got SIGINT", then the handler exits 130)
//   exit CODE         exit with CODE
//   touch PATH        create the file PATH (tests wait for it to know the task runs)
//   spam              print a line every millisecond, forever
//   stubborn          from now on SIGINT is ignored ("ignoring SIGINT"): only SIGTERM stops it
"use strict";

const steps = (process.env.INPUT_SCRIPT || "").split("&&").map((s) => s.trim()).filter(Boolean);
let stubborn = false;
process.on("SIGINT", () => {
  if (stubborn) return console.log("ignoring SIGINT");
  console.log("got SIGINT");
  process.exit(130);
});

function next(i) {
  if (i >= steps.length) return;
  const [word, ...rest] = steps[i].split(" ");
  const arg = rest.join(" ");
  if (word === "say") console.log(arg);
  else if (word === "vso") console.log("##vso[" + arg);
  else if (word === "env") console.log(arg in process.env ? `${arg}=${process.env[arg]}` : `${arg} unset`);
  else if (word === "sleep") return setTimeout(() => next(i + 1), Number(arg) * 1000);
  else if (word === "exit") process.exit(Number(arg));
  else if (word === "stubborn") stubborn = true;
  else if (word === "spam") return setInterval(() => console.log("spam"), 1);
  else if (word === "touch") require("fs").writeFileSync(arg, "");
  next(i + 1);
}
next(0);
