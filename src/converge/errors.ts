// One place that classifies what the Pulumi CLI reported, as Pulumi's own
// createCommandError does: a locked stack is worth retrying, anything else
// is a failure to report.
import { errorText } from '../errors.js';
import { ConcurrentUpdateError } from '@pulumi/pulumi/automation/index.js';
import { ConvergeError } from './types.js';

const LOCKED = /stack is currently locked|conflict: Another update is currently in progress|the stack is currently locked/i;

/** Turns any error from the Automation API into a ConvergeError. */
export function classifyError(error: unknown): ConvergeError {
  if (error instanceof ConvergeError) return error;
  const text = errorText(error);
  if (error instanceof ConcurrentUpdateError || LOCKED.test(text)) return new ConvergeError('locked', firstUsefulLines(text));
  return new ConvergeError('failed', firstUsefulLines(text));
}

/** The lines of a CLI failure a person needs, without the command echo and blank lines. */
export function firstUsefulLines(text: string, max = 6): string {
  const lines = text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '' && !/^(code|stdout|stderr|err\?):\s*$/i.test(l.trim()) && !/^cmd: /.test(l.trim()));
  const errors = lines.filter((l) => /error/i.test(l));
  return (errors.length > 0 ? errors : lines).slice(0, max).join('\n');
}
