// WeChat's own build tools (miniprogram-ci, offline) for the tests: a
// project handle with a throwaway key and the CI's default attributes, and a
// way to run the tools in a child process (they keep a file watcher and a
// compiler alive, so the child prints its findings and exits).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');

const ROOT = path.join(__dirname, '..', '..');
const ci = () => require(path.join(ROOT, 'tools', 'node_modules', 'miniprogram-ci'));

function project(dir, ignores) {
  const key = path.join(os.tmpdir(), 'jim-cache-ci-' + process.pid + '.key');
  fs.writeFileSync(key, crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }));
  return new (ci().Project)({
    appid: 'touristappid', type: 'miniProgram', projectPath: dir, privateKeyPath: key, ignores: ignores || [],
    // Offline, the project's attributes cannot be fetched: the CI's defaults.
    attr: async () => JSON.parse(JSON.stringify(ci().DefaultProjectAttr)),
  });
}

// Compiles what an upload would send into `out` (unpacked) and lists it.
async function compiled(proj, setting, out) {
  const zip = out + '.zip';
  await ci().getCompiledResult({ project: proj, desc: 'jim-cache test', setting, onProgressUpdate: () => {} }, zip);
  fs.rmSync(out, { recursive: true, force: true });
  return execFileSync('python3', ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); z.extractall(sys.argv[2]); print("\\n".join(z.namelist()))', zip, out], { encoding: 'utf8' })
    .split('\n').filter(Boolean).map((f) => f.replace(/^\.\//, ''));
}

// In the test file: `childResult(__filename)` runs `work()` of that file in a
// child (`--work`); in the child, `runChild(work)` prints its result and exits.
function childResult(file) {
  const out = execFileSync(process.execPath, [file, '--work'], { encoding: 'utf8', timeout: 240000 });
  return JSON.parse(out.split('\n').find((l) => l.startsWith('RESULT ')).slice(7));
}
function runChild(work) {
  work().then(
    (r) => { process.stdout.write('RESULT ' + JSON.stringify(r) + '\n'); process.exit(0); },
    (e) => { process.stderr.write(String((e && e.stack) || e) + '\n'); process.exit(1); },
  );
}

module.exports = { ROOT, ci, project, compiled, childResult, runChild };
