// Used by node-javascript-throws.yaml: a function returning what is no verdict.
module.exports.name = (output) => 'a string';
