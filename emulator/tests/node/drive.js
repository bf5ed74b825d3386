// Drives Microsoft's own Node library behind the App Service pipeline tasks
// (azure-pipelines-tasks-azure-arm-rest, unmodified) the way those tasks call it, so the emulator can
// be held to it. Run it as the agent runs a task: the service connection in ENDPOINT_* variables, the
// task's inputs in INPUT_* variables, Agent.TempDirectory in AGENT_TEMPDIRECTORY, the emulator's CA in
// NODE_EXTRA_CA_CERTS. Inputs (the names AzureFunctionApp@2 and AzureAppServiceManage@0 use):
//
//   INPUT_AZURESUBSCRIPTION  the service connection id
//   INPUT_APPNAME            the function app; its resource group is looked up, as the task does
//   INPUT_SLOTNAME           the slot to deploy to, and to swap with production
//   INPUT_ACTION             "deploy": read the app and its slots, write app settings, zip deploy
//                            through Kudu and record the deployment (AzureFunctionApp@2);
//                            "swap": swap the slot with production (AzureAppServiceManage@0)
//   INPUT_PACKAGE            (deploy) the zip to deploy
//   INPUT_APPSETTINGS        (deploy) app settings to write, as a JSON object of names to values
//
// It prints one JSON line per step on stdout ({"step": ..., ...}; the library's own ##vso lines are
// interleaved) and exits 1 after the first step that fails ({"step": ..., "error": ...}). Secrets
// (keys, passwords, tokens) are never printed.
"use strict";

const tl = require("azure-pipelines-task-lib/task");
const { AzureRMEndpoint } = require("azure-pipelines-tasks-azure-arm-rest/azure-arm-endpoint");
const { Resources } = require("azure-pipelines-tasks-azure-arm-rest/azure-arm-resource");
const { AzureAppService } = require("azure-pipelines-tasks-azure-arm-rest/azure-arm-app-service");
const { AzureAppServiceUtility } = require("azure-pipelines-tasks-azure-arm-rest/azureAppServiceUtility");

// What KuduServiceUtility (in the task, not on npm) passes to Kudu for a zip deployment.
const ZIP_DEPLOYER = "VSTS_ZIP_DEPLOY_FUNCTIONS_V2";

function report(step, fields) {
  console.log(JSON.stringify(Object.assign({ step: step }, fields)));
}

// Runs one step; its result fields are reported, a failure ends the run.
async function step(name, action) {
  try {
    const fields = await action();
    report(name, fields || {});
    return fields;
  } catch (error) {
    report(name, { error: String((error && error.message) || error) });
    process.exit(1);
  }
}

// The SCM address without the credentials App Service embeds in it.
function withoutCredentials(uri) {
  const url = new URL(uri);
  url.username = "";
  url.password = "";
  return url.origin;
}

async function deploy(endpoint, group, appName, slotName) {
  const production = new AzureAppService(endpoint, group, appName, "production");
  const slot = new AzureAppService(endpoint, group, appName, slotName);
  await step("get-app", async () => {
    const site = await production.get(true);
    return { name: site.name, kind: site.kind, state: site.properties.state, host: site.properties.defaultHostName };
  });
  await step("get-slot", async () => {
    const site = await slot.get(true);
    return { name: site.name, state: site.properties.state, host: site.properties.defaultHostName };
  });
  await step("read-settings", async () => {
    const settings = await slot.getApplicationSettings(true);
    return { names: Object.keys(settings.properties).sort() };
  });
  const wanted = JSON.parse(tl.getInput("appSettings", false) || "{}");
  const utility = new AzureAppServiceUtility(slot);
  await step("write-settings", async () => {
    // As the task writes its appSettings input: { name: { value } }, not sticky.
    const add = {};
    for (const name of Object.keys(wanted)) add[name] = { value: wanted[name] };
    return { updated: await utility.updateAndMonitorAppSettings(add) };
  });
  await step("read-settings-again", async () => {
    const settings = await slot.getApplicationSettings(true);
    const written = {};
    for (const name of Object.keys(wanted)) written[name] = settings.properties[name];
    return { written: written };
  });
  // AzureAppServiceUtility finds the SCM address and the credentials (POST publishingcredentials/list)
  // and asks basicPublishingCredentialsPolicies/scm whether Basic auth is allowed (else a token).
  let kudu;
  await step("kudu", async () => {
    kudu = await utility.getKuduService();
    return { scm: withoutCredentials(kudu.client.getScmUri()), auth: kudu.client._authHeader.split(" ")[0] };
  });
  const packagePath = tl.getPathInput("package", true, true);
  let deployment;
  await step("zip-deploy", async () => {
    deployment = await kudu.zipDeploy(packagePath, ["isAsync=true", "deployer=" + ZIP_DEPLOYER]);
    const details = await kudu.getDeploymentDetails(deployment.id);
    return { id: details.id, status: details.status, complete: details.complete, deployer: details.deployer };
  });
  await step("record-deployment", async () => {
    // KuduServiceUtility.updateDeploymentStatus: the task records itself in Kudu's deployment history.
    const id = (tl.getVariable("release.releaseId") || tl.getVariable("build.buildId") || "") + Date.now();
    const recorded = await kudu.updateDeployment({
      id: id,
      active: true,
      status: 4,
      message: JSON.stringify({ type: "Deployment", slotName: slot.getSlot() }),
      author: tl.getVariable("build.requestedfor") || "slotwise-emulator-tests",
      deployer: "VSTS",
    });
    return { id: recorded, zipDeployment: deployment.id };
  });
}

async function swap(endpoint, group, appName, slotName) {
  const slot = new AzureAppService(endpoint, group, appName, slotName);
  await step("swap", async () => {
    await slot.swap("production", false);
    return { source: slot.getSlot(), target: "production" };
  });
  await step("get-app", async () => {
    const site = await new AzureAppService(endpoint, group, appName, "production").get(true);
    return { name: site.name, swap: site.properties.slotSwapStatus || null };
  });
}

async function main() {
  const connection = tl.getInput("azureSubscription", true);
  const appName = tl.getInput("appName", true);
  const slotName = tl.getInput("slotName", true);
  const action = tl.getInput("action", true);
  let endpoint;
  await step("endpoint", async () => {
    endpoint = await new AzureRMEndpoint(connection).getEndpoint();
    return {
      environment: endpoint.environment,
      authority: endpoint.environmentAuthorityUrl,
      resource: endpoint.activeDirectoryResourceID,
    };
  });
  let group;
  await step("find-app", async () => {
    // As AzureFunctionApp@2 does without a resource group input: ARM's resource list, filtered.
    const details = await new Resources(endpoint).getAppDetails(appName);
    group = details.resourceGroupName;
    return { resourceGroup: group, kind: details.kind };
  });
  if (action === "deploy") {
    await deploy(endpoint, group, appName, slotName);
  } else if (action === "swap") {
    await swap(endpoint, group, appName, slotName);
  } else {
    report("input", { error: "action must be deploy or swap, not " + action });
    process.exit(2);
  }
}

main();
