// The SARIF 2.1.0 JSON schema (draft-04, as shipped by @microsoft/jest-sarif) as a validator.
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import sarifSchema from '@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json';

// The schema's language-tag pattern is not valid as a Unicode regular expression.
const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(sarifSchema);

/** Why the schema refuses `log`, or undefined when it accepts it. */
export function sarifErrors(log: unknown): string | undefined {
  return validate(log) ? undefined : ajv.errorsText(validate.errors);
}
