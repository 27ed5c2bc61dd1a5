// Validates JSON documents against a draft-04 JSON schema (SARIF 2.1.0's),
// which ajv-cli does not take: ajv-draft-04 does. Offline; exits 1 on the
// first invalid document, printing ajv's errors.
"use strict";
const fs = require("fs");
const Ajv = require("ajv-draft-04");
const addFormats = require("ajv-formats");
const [schemaPath, ...docs] = process.argv.slice(2);
// The schema's language pattern is not valid with the u flag: compile without it.
const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaPath, "utf8")));
for (const d of docs) {
	if (!validate(JSON.parse(fs.readFileSync(d, "utf8")))) {
		console.error(d + " invalid: " + JSON.stringify(validate.errors, null, 1));
		process.exit(1);
	}
	console.log(d + " valid");
}
