// The handler of the agent's conformance test, run as the target of Microsoft's AzureFunctionApp@2
// task.json. It writes what it received (inputs, endpoints, variables, its working directory) to
// $AGENT_TEMPDIRECTORY/received-$INPUT_PROBENAME.json, unmasked, for the test to read; with
// INPUT_PROBEMODE=deploy it also prints what a deploying task prints and sends the agent its logging
// commands (output variable, secret, summary, issues, progress, result).
"use strict";

const fs = require("fs");
const path = require("path");

const wanted = /^(INPUT_|ENDPOINT_|SECRET_|VSTS_|RELEASE_|SYSTEM_|AGENT_|BUILD_|DEPLOY_)/;
const received = { cwd: process.cwd(), env: {} };
for (const [name, value] of Object.entries(process.env)) {
  if (wanted.test(name)) received.env[name] = value;
}
const temp = process.env.AGENT_TEMPDIRECTORY;
fs.writeFileSync(path.join(temp, `received-${process.env.INPUT_PROBENAME}.json`), JSON.stringify(received));

if (process.env.INPUT_PROBEMODE === "deploy") {
  const arm = process.env.INPUT_AZURESUBSCRIPTION;
  console.log(`app settings: ${process.env.INPUT_APPSETTINGS}`);
  console.log(`service principal key: ${process.env[`ENDPOINT_AUTH_PARAMETER_${arm}_SERVICEPRINCIPALKEY`]}`);
  console.log("publishing password: pp-before-registration");
  console.log("##vso[task.setsecret]pp-RUNTIME-pass");
  console.log("publishing password: pp-RUNTIME-pass");
  const url = `https://${process.env.INPUT_APPNAME}-${process.env.INPUT_SLOTNAME}.azurewebsites.net`;
  console.log(`##vso[task.setvariable variable=AppServiceApplicationUrl;isOutput=true]${url}`);
  const summary = path.join(temp, "deployment.md");
  fs.writeFileSync(summary, `# Deployed\n\n| slot | url |\n|---|---|\n| ${process.env.INPUT_SLOTNAME} | ${url} |\n`);
  console.log(`##vso[task.uploadsummary]${summary}`);
  console.log("##vso[task.logissue type=warning]Slot settings differ: 100%AZP25 sticky");
  console.log("##vso[task.logissue type=error]Warm-up request failed once");
  console.log("##vso[task.setprogress value=50;]Half way");
  console.log("##vso[task.complete result=SucceededWithIssues;]Deployed, with issues");
}
