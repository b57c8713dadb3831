// Used by node-transform.yaml: promptfoo's transform contract, (output, context).
module.exports = (output, context) => 'length ' + output.length;
module.exports.shout = (output, context) =>
  JSON.parse(output).color.toUpperCase() + ' in ' + context.vars.country;
