import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Parser } from '@asyncapi/parser';
import { ASYNCAPI_PATH, generatedFiles } from '../../scripts/specs';

const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);

describe('generated specs', () => {
  it.each(Object.keys(generatedFiles()).map((file) => path.relative(ROOT, file)))(
    '%s is what `npm run specs` writes from contract/',
    (file) => {
      expect(readFileSync(path.join(ROOT, file), 'utf8')).toBe(generatedFiles()[path.join(ROOT, file)]);
    },
  );

  it('docs/openapi.json passes Redocly lint (recommended rules, redocly.yaml)', async () => {
    const lint = run(path.join(ROOT, 'node_modules/.bin/redocly'), ['lint', 'docs/openapi.json', '--format=json'], {
      cwd: ROOT,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    }).catch((error: { stdout: string }) => error);
    const { problems } = JSON.parse((await lint).stdout) as { problems: { ruleId: string; message: string }[] };
    expect(problems.map(({ ruleId, message }) => `${ruleId}: ${message}`)).toEqual([]);
  });

  // @asyncapi/parser is what `asyncapi validate` runs (its Spectral ruleset); the CLI itself installs
  // 1.5 GB in 844 packages (2.5 min), the parser 54 MB.
  it('docs/asyncapi.json is valid AsyncAPI 3.0 with no errors or warnings', async () => {
    const { document, diagnostics } = await new Parser().parse(readFileSync(ASYNCAPI_PATH, 'utf8'));
    // Spectral severities: 0 error, 1 warning, 2 information (e.g. "3.1.0 exists"), 3 hint.
    expect(
      diagnostics
        .filter((diagnostic) => diagnostic.severity <= 1)
        .map((diagnostic) => `${diagnostic.code}: ${diagnostic.message} at ${diagnostic.path.join('.')}`),
    ).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
  });
});
