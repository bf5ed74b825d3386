#!/usr/bin/env node
/*
 * slotwise task shim: the Node entry point of every slotwise pipeline task.
 *
 * The Azure Pipelines agent has no Python handler, so each task.json names this file as the target
 * of its Node20_1 and Node24 handlers. The agent runs `node <taskDir>/shim.js` with the job's working
 * directory as cwd and the task's inputs, service connections and variables in the environment
 * (INPUT_*, ENDPOINT_*, SYSTEM_*, AGENT_*). This shim only:
 *
 *   1. reads task.json next to it to learn which slotwise command the task is;
 *   2. finds a Python >= 3.10: the task's pythonPath input, the SLOTWISE_PYTHON variable, the hosted
 *      tool cache ($AGENT_TOOLSDIRECTORY/Python/<version>/<arch>, with its <arch>.complete marker),
 *      then python3/python on PATH (py -3 on Windows);
 *   3. sets up, once per slotwise version and Python minor version, a virtual environment in
 *      $AGENT_TOOLSDIRECTORY/slotwise/<version>/<major.minor>/ from what the task folder ships:
 *      requirements.lock (exactly what the tasks import, pinned for Python 3.10-3.13, with hashes) and
 *      requirements-slotwise.txt (the slotwise wheel beside it with its sha256, taken at packaging):
 *      `pip install --require-hashes --no-deps -r requirements.lock -r requirements-slotwise.txt`,
 *      run in the task folder, so every file pip installs is checked and only the lock is installed
 *      (a wheel whose hash differs is refused before pip runs), with --no-compile: the check below
 *      compiles what the tasks import, not every module pip installed. pip is the one Python bundles
 *      for ensurepip, run from its wheel into a venv made --without-pip (the venv needs no pip).
 *      pip's own PIP_INDEX_URL / PIP_FIND_LINKS / PIP_NO_INDEX are honoured because the environment
 *      is passed through (an offline wheelhouse from `scripts/package --wheelhouse`). Two jobs
 *      starting at once are safe: a lock directory serialises the work, the venv is built in a
 *      temporary sibling and renamed into place with its completion marker inside, so a half-built
 *      venv is never used. Before the marker is written, the new venv's Python proves every module of
 *      slotwise.agent imports (each task's) and lists one file of every installed distribution (its
 *      METADATA and a module); every run checks those files still exist (a few dozen
 *      stat calls), so a venv damaged after it was marked complete is rebuilt, not run;
 *   4. runs `<venv python> -m slotwise.agent <command> <taskDir>` with the environment untouched,
 *      forwards SIGINT/SIGTERM/SIGHUP to it (SIGKILL after a grace period) and exits with its code.
 *      Should slotwise fail to import (a raw import traceback on stderr, which the agent never writes
 *      once it runs: it reports a task's errors itself), the venv is set up again and the agent run
 *      once more: the task had not started.
 *
 * Exit code (docs/tasks-contract.md, "Exit code"): 0 once `task.complete` has said the result,
 * Failed included, as azure-pipelines-task-lib tasks exit after setResult(Failed): the agent's Node
 * handler requires exit code 0 and adds an error "Exit code N returned from process" for any other.
 * slotwise.agent exits so; the shim's own failures are reported (an error issue, then task.complete
 * result=Failed) and exit 0 too. Non-zero only when nothing said the result: the agent died before
 * it could (its code is passed on), or a signal ended the run (128 + its number).
 *
 * It must never load azure-pipelines-task-lib: that library moves INPUT_* and ENDPOINT_* variables
 * out of process.env, and the Python side reads them from the environment. It has no npm
 * dependencies and never prints environment values. All task logic lives in Python.
 */
'use strict';

const childProcess = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const MIN_PYTHON = [3, 10];
const IS_WINDOWS = process.platform === 'win32';
const MARKER = '.slotwise-complete'; // written inside the venv, last, only when everything succeeded
const WHEEL_REQUIREMENT = 'requirements-slotwise.txt'; // `./<wheel> --hash=sha256:<hex>`, by scripts/package
const PROBE_TIMEOUT_MS = 10000; // how long one `python -c ...` version check may take
const LOCK_POLL_MS = 500; // how often a waiting job looks at the lock again
const LOCK_STALE_MS = 30 * 60 * 1000; // a set-up lock this old is stale whoever holds it
const LOCK_UNOWNED_MS = 60 * 1000; // a lock dir still without owner.json after this is stale
const KILL_GRACE_MS = 10000; // after the first forwarded signal, SIGKILL the child if still running
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

// task.json `name` -> `python -m slotwise.agent <command>` (docs/tasks-contract.md)
const TASK_COMMANDS = {
  SlotwiseDeployToSlot: 'deploy-to-slot',
  SlotwiseSlotSwap: 'slot-swap',
  SlotwiseSmokeTest: 'smoke-test',
  SlotwiseGuardAgainstOverwrite: 'guard-against-overwrite',
};

/** A failure the user can act on: its message is what the pipeline shows; summary is its one-line result. */
class ShimError extends Error {
  constructor(message, summary) {
    super(message);
    this.summary = summary || message.split('\n')[0];
  }
}

/** The job was cancelled (a signal arrived) while the shim itself was working. */
class Cancelled extends Error {}

// ---- output ------------------------------------------------------------------------------------

const debugEnabled = /^true$/i.test(process.env.SYSTEM_DEBUG || '');

function info(line) {
  process.stdout.write(`${line}\n`);
}

function debug(line) {
  if (debugEnabled) info(`##vso[task.debug]${escapeData(line)}`);
}

/** The agent's escaping of a logging command's message. */
function escapeData(text) {
  return String(text).replace(/%/g, '%AZP25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Text from other programs (pip, an index server) must not be able to issue logging commands. */
function neutralise(text) {
  return String(text).replace(/##vso\[/gi, '##vso [').replace(/^##\[/gm, '# #[');
}

/** The exit code once task.complete has said the result, Failed included (see the header). */
const REPORTED = 0;

/** Report a failure the way a task does: an error issue, then the task's result. Returns REPORTED. */
function reportFailure(message, summary = message.split('\n')[0]) {
  info(`##vso[task.logissue type=error]${escapeData(message)}`);
  info(`##vso[task.complete result=Failed;]${escapeData(`slotwise could not start: ${summary}`)}`);
  return REPORTED;
}

function seconds(sinceMs) {
  return `${((Date.now() - sinceMs) / 1000).toFixed(1)} s`;
}

// ---- signals and clean-up ----------------------------------------------------------------------
// One set of handlers for the whole run: while a child runs (python -m venv, pip, the agent) a
// signal is forwarded to it; while the shim itself works (e.g. waiting for a lock) it cleans up
// (temporary venv, lock) and exits 128 + signal number.

const state = { child: null, cancelledBy: null, killTimer: null, cleanups: new Set() };

function signalExitCode(signal) {
  return 128 + (os.constants.signals[signal] || 0);
}

function runCleanups() {
  for (const cleanup of [...state.cleanups]) {
    try {
      cleanup();
    } catch {
      // best effort: the process is going away
    }
  }
  state.cleanups.clear();
}

function onSignal(signal) {
  state.cancelledBy = state.cancelledBy || signal;
  const child = state.child;
  if (child && child.exitCode === null && child.signalCode === null) {
    debug(`forwarding ${signal} to process ${child.pid}`);
    try {
      child.kill(signal);
    } catch {
      // it exited in between
    }
    if (!state.killTimer) {
      state.killTimer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) {
          info(`slotwise did not stop within ${KILL_GRACE_MS / 1000} s of ${signal}: killing it.`);
          child.kill('SIGKILL');
        }
      }, KILL_GRACE_MS);
      state.killTimer.unref();
    }
    return;
  }
  runCleanups();
  process.exit(signalExitCode(signal));
}

function installSignalHandlers() {
  for (const signal of FORWARDED_SIGNALS) {
    try {
      process.on(signal, onSignal);
    } catch {
      // SIGHUP cannot be handled on some platforms
    }
  }
}

function throwIfCancelled() {
  if (state.cancelledBy) throw new Cancelled(state.cancelledBy);
}

// ---- the task folder ---------------------------------------------------------------------------

/** What the task folder holds: the agent command, the wheel (and slotwise version), the lock file. */
function readTaskFolder(taskDir) {
  const taskJson = path.join(taskDir, 'task.json');
  let task;
  try {
    task = JSON.parse(fs.readFileSync(taskJson, 'utf8').replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new ShimError(`Cannot read ${taskJson}: ${err.message}. The task was packaged wrongly.`);
  }
  const command = TASK_COMMANDS[task.name];
  if (!command) {
    throw new ShimError(
      `Unknown slotwise task "${task.name}" in ${taskJson}: ` +
        `expected one of ${Object.keys(TASK_COMMANDS).join(', ')}.`,
    );
  }
  const wheels = fs.readdirSync(taskDir).filter((name) => /^slotwise-[^-]+-.*\.whl$/.test(name));
  if (wheels.length !== 1) {
    const found = wheels.length ? `found ${wheels.join(', ')}` : 'found none';
    throw new ShimError(
      `The task folder ${taskDir} must hold exactly one slotwise-<version>-*.whl; ${found}.`,
    );
  }
  const lock = path.join(taskDir, 'requirements.lock');
  if (!fs.existsSync(lock)) {
    throw new ShimError(
      `The task folder ${taskDir} has no requirements.lock. The task was packaged wrongly.`,
    );
  }
  const wheelRequirement = path.join(taskDir, WHEEL_REQUIREMENT);
  let pinned = null;
  try {
    const name = wheels[0].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const line = new RegExp(`^\\./${name} --hash=sha256:([0-9a-f]{64})\\s*$`, 'm');
    pinned = line.exec(fs.readFileSync(wheelRequirement, 'utf8'));
  } catch {
    // reported below
  }
  if (!pinned) {
    throw new ShimError(
      `The task folder ${taskDir} has no ${WHEEL_REQUIREMENT} naming ${wheels[0]} with its sha256. ` +
        'The task was packaged wrongly.',
    );
  }
  return {
    command,
    wheel: path.join(taskDir, wheels[0]),
    version: wheels[0].split('-')[1],
    lock,
    wheelRequirement,
    wheelSha256: pinned[1],
    dir: taskDir,
  };
}

// ---- finding Python ----------------------------------------------------------------------------

// Works on Python 2 as well, so an old interpreter is reported by its version, not as a crash.
const VERSION_SCRIPT = 'import sys; sys.stdout.write("%d.%d.%d" % tuple(sys.version_info[:3]))';

function atLeastMinimum(version) {
  return version[0] > MIN_PYTHON[0] || (version[0] === MIN_PYTHON[0] && version[1] >= MIN_PYTHON[1]);
}

/** Run `<cmd> <args> -c VERSION_SCRIPT`; {version} when it is usable, else {problem}. */
function probe(cmd, args) {
  const result = childProcess.spawnSync(cmd, [...args, '-c', VERSION_SCRIPT], {
    encoding: 'utf8',
    timeout: PROBE_TIMEOUT_MS,
    windowsHide: true,
  });
  if (result.error) {
    if (result.error.code === 'ENOENT') return { problem: 'was not found' };
    if (result.error.code === 'ETIMEDOUT') {
      return { problem: `did not answer within ${PROBE_TIMEOUT_MS / 1000} s` };
    }
    return { problem: `could not be started (${result.error.code || result.error.message})` };
  }
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec((result.stdout || '').trim());
  if (result.status !== 0 || !match) {
    const said = (result.stderr || result.stdout || '').trim().split('\n').pop();
    return { problem: `failed (exit code ${result.status}${said ? `: ${said}` : ''})` };
  }
  const version = match.slice(1).map(Number);
  if (!atLeastMinimum(version)) return { problem: `is Python ${version.join('.')}, too old` };
  return { version };
}

/** The tool cache's architecture folder name for this machine (azure-pipelines-tool-lib uses os.arch()). */
function toolCacheArch() {
  return process.arch === 'ia32' ? 'x86' : process.arch;
}

/** Complete Python >= 3.10 installs in the hosted tool cache, highest first, as [{version, exe}]. */
function toolCachePythons(toolsDir) {
  const root = path.join(toolsDir, 'Python');
  const arch = toolCacheArch();
  let names = [];
  try {
    names = fs.readdirSync(root);
  } catch {
    return [];
  }
  return names
    .map((name) => ({ name, version: (/^(\d+)\.(\d+)\.(\d+)$/.exec(name) || []).slice(1).map(Number) }))
    .filter(({ name, version }) => version.length === 3 && atLeastMinimum(version) &&
      fs.existsSync(path.join(root, name, `${arch}.complete`)))
    .sort((a, b) => b.version[0] - a.version[0] || b.version[1] - a.version[1] || b.version[2] - a.version[2])
    .map(({ name, version }) => {
      const dir = path.join(root, name, arch);
      const exes = IS_WINDOWS ? ['python.exe'] : ['bin/python3', 'bin/python'];
      const exe = exes.map((e) => path.join(dir, e)).find((p) => fs.existsSync(p));
      return { version, exe };
    })
    .filter(({ exe }) => exe);
}

/** An explicit setting may name an interpreter or its folder (e.g. UsePythonVersion's $(pythonLocation)). */
function explicitInterpreter(setting) {
  let isDir = false;
  try {
    isDir = fs.statSync(setting).isDirectory();
  } catch {
    return setting; // let the probe report "not found"
  }
  if (!isDir) return setting;
  const inside = IS_WINDOWS
    ? ['python.exe', 'Scripts/python.exe']
    : ['bin/python3', 'bin/python', 'python3', 'python'];
  return inside.map((e) => path.join(setting, e)).find((p) => fs.existsSync(p)) || setting;
}

/**
 * The Python to use: {cmd, args, version, label}. An explicit choice (the pythonPath input, the
 * SLOTWISE_PYTHON variable) must work: it is never silently replaced. Otherwise the first usable
 * of the tool cache and PATH; none -> a ShimError naming everything tried and how to fix it.
 */
function findPython(env) {
  const explicit = [
    ['the task input pythonPath', env.INPUT_PYTHONPATH],
    ['the variable SLOTWISE_PYTHON', env.SLOTWISE_PYTHON],
  ];
  for (const [source, setting] of explicit) {
    if (!setting || !setting.trim()) continue;
    const exe = explicitInterpreter(setting.trim());
    const found = probe(exe, []);
    if (found.version) return { cmd: exe, args: [], version: found.version, label: `${exe} (${source})` };
    throw new ShimError(
      `${source} is set to ${setting.trim()}, which ${found.problem}. slotwise needs Python ` +
        `${MIN_PYTHON.join('.')} or newer: point it at such an interpreter (or its folder), ` +
        'or clear it to let slotwise look in the tool cache and on PATH.',
    );
  }

  const tried = [];
  const notOnPath = [];
  const toolsDir = env.AGENT_TOOLSDIRECTORY;
  if (toolsDir) {
    const cached = toolCachePythons(toolsDir);
    for (const { exe } of cached) {
      const found = probe(exe, []);
      if (found.version) return { cmd: exe, args: [], version: found.version, label: `${exe} (tool cache)` };
      tried.push(`${exe} (tool cache): ${found.problem}`);
    }
    if (!cached.length) {
      tried.push(`the tool cache ${path.join(toolsDir, 'Python')}: no complete Python ` +
        `${MIN_PYTHON.join('.')}+ for ${toolCacheArch()}`);
    }
  } else {
    tried.push('the tool cache: AGENT_TOOLSDIRECTORY is not set');
  }

  const onPath = IS_WINDOWS
    ? [['python', []], ['python3', []], ['py', ['-3']]]
    : [['python3', []], ['python', []],
      ...['3.14', '3.13', '3.12', '3.11', '3.10'].map((v) => [`python${v}`, []])];
  for (const [cmd, args] of onPath) {
    const found = probe(cmd, args);
    const name = [cmd, ...args].join(' ');
    if (found.version) return { cmd, args, version: found.version, label: `${name} (PATH)` };
    if (found.problem === 'was not found') notOnPath.push(name);
    else tried.push(`${name} on PATH: ${found.problem}`);
  }
  if (notOnPath.length) tried.push(`not on PATH: ${notOnPath.join(', ')}`);

  throw new ShimError(
    `slotwise needs Python ${MIN_PYTHON.join('.')} or newer on the agent and found none. Tried:\n` +
      `${tried.map((t) => `  - ${t}`).join('\n')}\n` +
      'Fix: add a step `- task: UsePythonVersion@0` with `inputs: { versionSpec: "3.12" }` ' +
      'before this task, ' +
      "or set this task's pythonPath input (Advanced) to a Python 3.10+ interpreter.",
    `no Python ${MIN_PYTHON.join('.')} or newer found (see the error above for where it looked)`,
  );
}

// ---- the virtual environment -------------------------------------------------------------------

function venvPython(venvDir) {
  return IS_WINDOWS ? path.join(venvDir, 'Scripts', 'python.exe') : path.join(venvDir, 'bin', 'python');
}

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Where venvs live: the agent tools directory, else (said aloud) a temporary directory. */
function installRoot(env) {
  const roots = [];
  if (env.AGENT_TOOLSDIRECTORY) roots.push([env.AGENT_TOOLSDIRECTORY, null]);
  const note = 'it is set up again whenever that directory is cleaned';
  if (env.AGENT_TEMPDIRECTORY) roots.push([env.AGENT_TEMPDIRECTORY, `the agent temp directory (${note})`]);
  roots.push([os.tmpdir(), `the system temp directory (${note})`]);
  for (const [root, fallback] of roots) {
    try {
      fs.mkdirSync(path.join(root, 'slotwise'), { recursive: true });
      fs.accessSync(path.join(root, 'slotwise'), fs.constants.W_OK);
    } catch (err) {
      debug(`cannot use ${root}: ${err.code || err.message}`);
      continue;
    }
    const why = env.AGENT_TOOLSDIRECTORY
      ? 'the agent tools directory is not writable'
      : 'AGENT_TOOLSDIRECTORY is not set';
    return { root, note: fallback && `Note: ${why}; slotwise is set up in ${fallback}.` };
  }
  const tried = roots.map((r) => r[0]).join(', ');
  throw new ShimError(`No writable directory to set slotwise up in (tried ${tried}).`);
}

// Run by the new venv's Python before the marker is written: slotwise.agent and every module of it
// (each task's, and so all they import) must import, and every installed distribution names one
// METADATA file and one module file that exist inside the venv (relative to it), which later runs
// check for: a damaged venv is set up again instead of failing with a traceback. Files outside the
// venv (an editable install) or missing already are not listed. pip installs with --no-compile
// (compiling all it installs is most of its time): these imports write the bytecode of what the
// tasks import, even where PYTHONDONTWRITEBYTECODE is set, so every later run finds it compiled.
const VERIFY_SCRIPT = [
  'import importlib, importlib.metadata as md, importlib.util, json, os, pkgutil, sys',
  'sys.dont_write_bytecode = False',
  'import slotwise.agent',
  'if importlib.util.find_spec("slotwise.agent.__main__") is None: sys.exit("slotwise.agent.__main__ is missing")',
  'for module in pkgutil.iter_modules(slotwise.agent.__path__, "slotwise.agent."):',
  '    if not module.name.endswith(".__main__"):',
  '        importlib.import_module(module.name)',
  'out = set()',
  'for dist in md.distributions():',
  '    found = {}',
  '    for f in dist.files or []:',
  '        kind = "meta" if f.name == "METADATA" else "code" if f.suffix == ".py" else None',
  '        if kind is None or kind in found or (kind == "code" and ".dist-info" in str(f)):',
  '            continue',
  '        rel = os.path.relpath(str(f.locate()), sys.prefix)',
  '        if not rel.startswith("..") and os.path.isfile(os.path.join(sys.prefix, rel)):',
  '            found[kind] = rel',
  '    out.update(found.values())',
  'sys.stdout.write(json.dumps(sorted(out)))',
].join('\n');

/** The first file `marker.verify` lists that is missing from the venv ('' if none is). */
function missingFile(venvDir, marker) {
  const files = Array.isArray(marker.verify) ? marker.verify : [];
  return files.find((file) => typeof file === 'string' && !fs.existsSync(path.join(venvDir, file))) || '';
}

/** Is `venvDir` a finished venv for exactly this wheel and lock? Returns '' if so, else why not. */
function notReadyReason(venvDir, expected) {
  let marker;
  try {
    marker = JSON.parse(fs.readFileSync(path.join(venvDir, MARKER), 'utf8'));
  } catch {
    return fs.existsSync(venvDir) ? 'it has no completion marker' : 'it does not exist yet';
  }
  if (marker.wheel_sha256 !== expected.wheel_sha256 || marker.lock_sha256 !== expected.lock_sha256) {
    return 'it was built from a different slotwise wheel or lock file';
  }
  if (!fs.existsSync(venvPython(venvDir))) return 'it is damaged: its Python is missing';
  const missing = missingFile(venvDir, marker);
  if (missing) return `it is damaged: ${missing} is missing`;
  // A venv links to its base interpreter; on a self-hosted agent that one may have been removed.
  let cfg = '';
  try {
    cfg = fs.readFileSync(path.join(venvDir, 'pyvenv.cfg'), 'utf8');
  } catch {
    return 'its pyvenv.cfg is missing';
  }
  const home = (/^home\s*=\s*(.+)$/m.exec(cfg) || [])[1];
  if (home && !fs.existsSync(home.trim())) return `its base Python (${home.trim()}) is gone`;
  return '';
}

/** Take the set-up lock (an atomic mkdir). Resolves to a release function, or null if ready() became true. */
async function acquireLock(lockDir, ready) {
  const owner = { pid: process.pid, host: os.hostname(), started: Date.now() };
  let announced = false;
  for (;;) {
    let taken = false;
    try {
      fs.mkdirSync(lockDir);
      taken = true;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    if (taken) {
      const release = () => {
        state.cleanups.delete(release);
        const current = readLockOwner(lockDir);
        // Only remove our own lock: it may have been broken as stale and taken by another job.
        if (!current || (current.pid === owner.pid && current.started === owner.started)) {
          fs.rmSync(lockDir, { recursive: true, force: true });
        }
      };
      state.cleanups.add(release);
      fs.writeFileSync(path.join(lockDir, 'owner.json'), JSON.stringify(owner));
      return release;
    }
    if (ready()) return null;
    const holder = readLockOwner(lockDir);
    const stale = lockIsStale(lockDir, holder);
    if (stale) {
      info(`Removing a stale set-up lock (${stale}).`);
      breakLock(lockDir, holder);
      continue;
    }
    if (!announced) {
      const who = holder ? `process ${holder.pid} on ${holder.host}` : 'another process';
      info(`Waiting for another job (${who}) to finish setting up slotwise...`);
      announced = true;
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    throwIfCancelled();
  }
}

function readLockOwner(lockDir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(lockDir, 'owner.json'), 'utf8'));
  } catch {
    return null;
  }
}

function processIsAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM'; // it exists, it is just not ours
  }
}

/** Why the lock is stale ('' if it is not): its owner died on this host, or it is simply too old. */
function lockIsStale(lockDir, holder) {
  if (!holder) {
    let age = 0;
    try {
      age = Date.now() - fs.statSync(lockDir).mtimeMs;
    } catch {
      return ''; // gone already: the next mkdir will tell
    }
    return age > LOCK_UNOWNED_MS ? 'it has no owner' : '';
  }
  if (holder.host === os.hostname() && !processIsAlive(holder.pid)) {
    return `process ${holder.pid} that took it has exited`;
  }
  if (Date.now() - holder.started > LOCK_STALE_MS) {
    return `taken by process ${holder.pid} on ${holder.host} more than ${LOCK_STALE_MS / 60000} minutes ago`;
  }
  return '';
}

/**
 * Remove a stale lock: rename it aside (atomic), check it is the one judged stale, delete it. If
 * another job broke and re-took it in between, put that one back. Even when two jobs end up
 * building, nothing breaks: each builds in its own temporary directory and only one rename wins.
 */
function breakLock(lockDir, holder) {
  const aside = `${lockDir}.broken-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(lockDir, aside);
  } catch {
    return; // another job broke it first
  }
  const moved = readLockOwner(aside);
  const same = holder ? moved && moved.pid === holder.pid && moved.started === holder.started : !moved;
  if (!same) {
    try {
      fs.renameSync(aside, lockDir);
      return;
    } catch {
      // yet another job holds the lock now; this one's owner will find its lock gone
    }
  }
  fs.rmSync(aside, { recursive: true, force: true });
}

/**
 * Run a set-up step, its output captured (streamed with system.debug, except the stdout of an
 * `answer` step, which is what it answers); resolves to its stdout; a ShimError if it fails.
 */
function runStep(what, cmd, args, hint, { answer = false, cwd = undefined } = {}) {
  return new Promise((resolve, reject) => {
    const shown = debugEnabled ? 'inherit' : 'pipe';
    const child = childProcess.spawn(cmd, args, {
      cwd,
      env: process.env,
      stdio: ['ignore', answer ? 'pipe' : shown, shown],
      windowsHide: true,
    });
    state.child = child;
    const output = [];
    const stdout = [];
    if (child.stdout) {
      child.stdout.on('data', (chunk) => {
        output.push(chunk);
        stdout.push(chunk);
      });
    }
    if (child.stderr) child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('error', (err) => {
      state.child = null;
      reject(new ShimError(`${what} could not be started: ${err.message}.`));
    });
    child.on('close', (code, signal) => {
      state.child = null;
      if (state.cancelledBy) return reject(new Cancelled(state.cancelledBy));
      if (code === 0) return resolve(Buffer.concat(stdout).toString('utf8'));
      const text = Buffer.concat(output).toString('utf8').trimEnd();
      if (text) info(`${what} said:\n${neutralise(text)}`);
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const summary = `${what} ${how}${text || debugEnabled ? ' (its output is above)' : ''}`;
      reject(new ShimError(`${summary}. ${hint}`, summary));
    });
  });
}

/** Rename the finished venv into place; an unfinished or outdated one there is moved aside first. */
function moveIntoPlace(tmpDir, venvDir, expected) {
  try {
    fs.renameSync(tmpDir, venvDir);
    return;
  } catch (err) {
    if (!['EEXIST', 'ENOTEMPTY', 'EPERM', 'EACCES'].includes(err.code) || !fs.existsSync(venvDir)) throw err;
  }
  if (!notReadyReason(venvDir, expected)) {
    fs.rmSync(tmpDir, { recursive: true, force: true }); // another job finished the same venv first
    return;
  }
  const aside = `${venvDir}.old-${process.pid}-${Date.now()}`;
  fs.renameSync(venvDir, aside);
  fs.renameSync(tmpDir, venvDir);
  fs.rmSync(aside, { recursive: true, force: true, maxRetries: 3 });
}

/** Leftovers of set-ups that were killed (temporary venvs, venvs moved aside), once they are old. */
function removeLeftovers(venvDir) {
  const parent = path.dirname(venvDir);
  const base = path.basename(venvDir);
  for (const name of fs.readdirSync(parent)) {
    if (!name.startsWith(`${base}.tmp-`) && !name.startsWith(`${base}.old-`)) continue;
    const full = path.join(parent, name);
    try {
      if (Date.now() - fs.statSync(full).mtimeMs > LOCK_STALE_MS) {
        fs.rmSync(full, { recursive: true, force: true });
      }
    } catch {
      // another job is cleaning it
    }
  }
}

// Run by the chosen Python: the pip wheel its ensurepip would install into a new venv (bundled with
// Python, or where a distribution keeps it: WHEEL_PKG_DIR, e.g. Debian's /usr/share/python-wheels).
const PIP_WHEEL_SCRIPT = [
  'import ensurepip, glob, os, sys',
  'dirs = [getattr(ensurepip, "_WHEEL_PKG_DIR", None), os.path.join(os.path.dirname(ensurepip.__file__), "_bundled")]',
  'found = [w for d in dirs if d for w in sorted(glob.glob(os.path.join(d, "pip-*.whl")))]',
  'same = [w for w in found if os.path.basename(w).startswith("pip-%s-" % ensurepip.version())]',
  'sys.stdout.write((same or found or [""])[0])',
].join('\n');

/**
 * The pip wheel ensurepip bundles with `python`, or '' (then the venv gets pip the usual way). pip runs
 * from that wheel with the venv's Python (`<venv python> <wheel>/pip install ...`, as ensurepip itself
 * runs it): the same pip, without installing pip (and, up to 3.11, setuptools) into a venv that only
 * runs slotwise, which was most of a cold set-up's time.
 */
async function bundledPip(python) {
  try {
    const wheel = (await runStep('finding the pip bundled with Python', python.cmd,
      [...python.args, '-c', PIP_WHEEL_SCRIPT], '', { answer: true })).trim();
    if (wheel && fs.statSync(wheel).isFile()) {
      debug(`pip from ${wheel}`);
      return wheel;
    }
  } catch (err) {
    if (err instanceof Cancelled) throw err;
    debug(`no bundled pip wheel: ${err.message}`);
  }
  return '';
}

/** Build the venv in a temporary sibling, write the marker, rename it into place. */
async function buildVenv(task, python, venvDir, expected, why) {
  const started = Date.now();
  const pyVersion = python.version.join('.');
  info(`Setting up slotwise ${task.version} with Python ${pyVersion} in ${venvDir} ` +
    `(once per agent and slotwise version; ${why})...`);
  removeLeftovers(venvDir);
  const tmpDir = fs.mkdtempSync(`${venvDir}.tmp-`);
  const removeTmp = () => fs.rmSync(tmpDir, { recursive: true, force: true });
  state.cleanups.add(removeTmp);
  const failed = (err) => {
    if (!(err instanceof ShimError)) return err;
    const what = `Could not set up slotwise ${task.version} in ${venvDir}`;
    return new ShimError(`${what}: ${err.message}`, `${what}: ${err.summary}`);
  };
  try {
    const base = [python.cmd, ...python.args].join(' ');
    const pipWheel = await bundledPip(python);
    await runStep(`${base} -m venv`, python.cmd,
      [...python.args, '-m', 'venv', ...(pipWheel ? ['--without-pip'] : []), tmpDir],
      'On Debian or Ubuntu install the python3-venv package, ' +
        'or add a UsePythonVersion@0 step before this task.');
    debug(`virtual environment created in ${seconds(started)}`);
    const pipStarted = Date.now();
    // In the task folder: requirements-slotwise.txt names the wheel by a path relative to it.
    await runStep('pip install', venvPython(tmpDir),
      [...(pipWheel ? [path.join(pipWheel, 'pip')] : ['-m', 'pip']), 'install', '--disable-pip-version-check',
        '--no-input', '--require-hashes', '--no-deps', '--no-compile', '-r', task.lock, '-r', task.wheelRequirement],
      'If this agent cannot reach pypi.org, give pip a package index or a wheelhouse through the pipeline ' +
        'variables PIP_INDEX_URL, or PIP_FIND_LINKS (an absolute path: slotwise\'s release offers ' +
        'wheelhouses for Linux and Windows x64) with PIP_NO_INDEX=true. A hash that does not match means ' +
        'a package from that index or wheelhouse is not the one slotwise was released with.',
      { cwd: task.dir });
    debug(`dependencies installed in ${seconds(pipStarted)}`);
    const verify = JSON.parse(await runStep('checking the new environment', venvPython(tmpDir),
      ['-c', VERIFY_SCRIPT], 'The installed packages do not import: the wheel or the lock file is wrong.',
      { answer: true }));
    const created = new Date().toISOString();
    const marker = { ...expected, slotwise: task.version, python: pyVersion, created, verify };
    fs.writeFileSync(path.join(tmpDir, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
    fs.chmodSync(tmpDir, 0o755); // mkdtemp made it owner-only; a venv is readable like any tool
    moveIntoPlace(tmpDir, venvDir, expected);
  } catch (err) {
    throw failed(err);
  } finally {
    removeTmp();
    state.cleanups.delete(removeTmp);
  }
  info(`slotwise ${task.version} is ready (${seconds(started)}).`);
}

/** The venv's Python for this task, set up first if needed. Warm path: a few file reads, no pip. */
async function ensureVenv(task, python, env) {
  const expected = { wheel_sha256: sha256(task.wheel), lock_sha256: sha256(task.lock) };
  if (expected.wheel_sha256 !== task.wheelSha256) {
    throw new ShimError(
      `The slotwise wheel ${task.wheel} is not the one this task was packaged with: its sha256 is ` +
        `${expected.wheel_sha256}, ${WHEEL_REQUIREMENT} says ${task.wheelSha256}. The task folder was ` +
        'changed or damaged after packaging: reinstall the slotwise extension (or clean the agent\'s ' +
        'tasks folder to have it downloaded again). Nothing was installed.',
      'the slotwise wheel in the task folder does not match its packaged sha256',
    );
  }
  const { root, note } = installRoot(env);
  const venvDir = path.join(root, 'slotwise', task.version, python.version.slice(0, 2).join('.'));
  const why = notReadyReason(venvDir, expected);
  if (!why) {
    info(`Using slotwise ${task.version} with Python ${python.version.join('.')} from ${venvDir}.`);
    return venvPython(venvDir);
  }
  if (note) info(note);
  fs.mkdirSync(path.dirname(venvDir), { recursive: true });
  const release = await acquireLock(`${venvDir}.lock`, () => !notReadyReason(venvDir, expected));
  try {
    const stillWhy = notReadyReason(venvDir, expected); // another job may have finished meanwhile
    if (stillWhy) await buildVenv(task, python, venvDir, expected, stillWhy);
    else info(`Using slotwise ${task.version} set up by another job in ${venvDir}.`);
  } finally {
    if (release) release();
  }
  return venvPython(venvDir);
}

// ---- running the agent -------------------------------------------------------------------------

// What Python writes when slotwise itself cannot be imported (a damaged venv): `python -m` not
// finding the module, or a raw traceback ending in an import error. The agent reports every error
// of a task itself (on stdout, as logging commands), so a raw import traceback on stderr can only
// come from starting it: before the task did anything.
const IMPORT_FAILURE = /Error while finding module specification for|^(ModuleNotFoundError|ImportError): /m;
const STDERR_KEPT = 64 * 1024; // the start of the agent's stderr, kept to recognise an import failure

/**
 * Run `python -m slotwise.agent <command> <taskDir>`, env and cwd untouched, its stderr passed
 * through as it comes; resolves to {code, importFailed}.
 */
function runAgent(python, command, taskDir) {
  return new Promise((resolve) => {
    let done = false;
    const kept = [];
    let keptBytes = 0;
    const finish = (code) => {
      if (done) return;
      done = true;
      state.child = null;
      if (state.killTimer) clearTimeout(state.killTimer);
      const stderr = Buffer.concat(kept).toString('utf8');
      const importFailed = code === 1 && !state.cancelledBy && IMPORT_FAILURE.test(stderr);
      resolve({ code, importFailed, said: importFailed ? lastLine(stderr) : '' });
    };
    const child = childProcess.spawn(python, ['-m', 'slotwise.agent', command, taskDir], {
      env: process.env,
      stdio: ['inherit', 'inherit', 'pipe'],
    });
    state.child = child;
    child.stderr.on('data', (chunk) => {
      process.stderr.write(chunk);
      if (keptBytes < STDERR_KEPT) {
        kept.push(chunk);
        keptBytes += chunk.length;
      }
    });
    child.on('error', (err) => finish(reportFailure(`Could not start ${python}: ${err.message}.`)));
    child.on('close', (code, signal) => finish(code === null ? signalExitCode(signal) : code));
  });
}

function lastLine(text) {
  return text.trim().split('\n').pop().trim();
}

/**
 * Run the agent; if slotwise cannot even be imported from the venv (damaged in a way the marker's
 * file list does not show), set the venv up again and run the agent once more: nothing was done yet.
 */
async function runAgentOnce(task, python, venvPy, taskDir) {
  const first = await runAgent(venvPy, task.command, taskDir);
  if (!first.importFailed) return first.code;
  const venvDir = path.dirname(path.dirname(venvPy));
  info(`slotwise cannot be imported from ${venvDir} (${first.said}): the environment is damaged; ` +
    'setting it up again.');
  discardVenv(venvDir);
  const rebuilt = await ensureVenv(task, python, process.env);
  throwIfCancelled();
  return (await runAgent(rebuilt, task.command, taskDir)).code;
}

/** Move a damaged venv aside (atomic: no job ever sees it half-removed), then delete it. */
function discardVenv(venvDir) {
  const aside = `${venvDir}.old-${process.pid}-${Date.now()}`;
  try {
    fs.renameSync(venvDir, aside);
  } catch {
    return; // another job replaced it already
  }
  fs.rmSync(aside, { recursive: true, force: true, maxRetries: 3 });
}

async function main(taskDir = __dirname) {
  installSignalHandlers();
  try {
    const task = readTaskFolder(taskDir);
    const python = findPython(process.env);
    debug(`using ${python.label}, Python ${python.version.join('.')}`);
    const venvPy = await ensureVenv(task, python, process.env);
    throwIfCancelled();
    return await runAgentOnce(task, python, venvPy, taskDir);
  } catch (err) {
    if (err instanceof Cancelled) {
      info(`Cancelled (${err.message}) while setting up slotwise.`);
      return signalExitCode(err.message);
    }
    if (err instanceof ShimError) return reportFailure(err.message, err.summary);
    return reportFailure(`Unexpected error in the slotwise task shim: ${err.stack || err}`);
  } finally {
    runCleanups();
  }
}

module.exports = { main, findPython, readTaskFolder, escapeData, TASK_COMMANDS };

if (require.main === module) {
  main().then((code) => {
    process.exitCode = code;
  });
}
