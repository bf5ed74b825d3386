// A tiny release task for the emulator's tests, run by the emulated Node agent. INPUT_MODE says what
// it does: "deploy" reads the artifact file, asks System.OidcRequestUri for an OIDC token with the
// job's access token (SystemVssConnection) over https (the emulator's CA: NODE_EXTRA_CA_CERTS), sets
// an output variable and uploads a summary; "echo" prints its label; "fail" exits 1; "hang" creates
// INPUT_MARKER and waits.
"use strict";
const fs = require("fs");
const path = require("path");
const https = require("https");

const env = process.env;
const mode = env.INPUT_MODE || "echo";
console.log(`label: ${env.INPUT_LABEL}`);
if (mode === "echo") {
  console.log(`SYSTEM_ACCESSTOKEN ${env.SYSTEM_ACCESSTOKEN ? "set" : "unset"}`);
  for (const name of ["SYSTEM_OIDCREQUESTURI", "SYSTEM_COLLECTIONID", "SYSTEM_SERVERTYPE", "SYSTEM_HOSTTYPE"]) {
    console.log(`${name}=${env[name]}`);
  }
}

function oidc(done) {
  const token = env.ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN || "";
  const url = new URL(env.SYSTEM_OIDCREQUESTURI);
  url.searchParams.set("api-version", "7.1-preview.1");
  url.searchParams.set("serviceConnectionId", env.INPUT_CONNECTION);
  const request = https.request(url, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", "Content-Length": 0 },
  }, (response) => {
    let body = "";
    response.on("data", (chunk) => (body += chunk));
    response.on("end", () => {
      const found = response.statusCode === 200 && JSON.parse(body).oidcToken.split(".").length === 3;
      console.log(`oidc: ${response.statusCode} ${found ? "a JWT" : body}`);
      done();
    });
  });
  request.on("error", (error) => {
    console.log(`oidc: ${error.message}`);
    process.exit(3);
  });
  request.end();
}

if (mode === "deploy") {
  console.log(`artifact: ${fs.readFileSync(env.INPUT_ARTIFACT, "utf8")}`);
  console.log(`tenant: ${env[`ENDPOINT_AUTH_PARAMETER_${env.INPUT_CONNECTION}_TENANTID`]}`);
  console.log(`authority: ${env[`ENDPOINT_DATA_${env.INPUT_CONNECTION}_ENVIRONMENTAUTHORITYURL`]}`);
  console.log(`token is ${env.ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN}`);
  console.log(`passed through: ${env.PROBE_PASSTHROUGH}`);
  oidc(() => {
    console.log(`##vso[task.setvariable variable=deployed;isOutput=true]v-${env.RELEASE_RELEASEID}`);
    const summary = path.join(env.AGENT_TEMPDIRECTORY, "deployed.md");
    fs.writeFileSync(summary, `# Deployed\nrelease ${env.RELEASE_RELEASEID} to ${env.RELEASE_ENVIRONMENTNAME}\n`);
    console.log(`##vso[task.uploadsummary]${summary}`);
  });
} else if (mode === "fail") {
  console.log("##vso[task.logissue type=error]the smoke test failed");
  process.exit(1);
} else if (mode === "hang") {
  fs.writeFileSync(env.INPUT_MARKER, "");
  setTimeout(() => console.log("woke up"), 60000);
}
