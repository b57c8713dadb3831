// Used by node-javascript.yaml: promptfoo's (output, context) contract.
module.exports = (output, context) => output.includes(context.vars.topic);
module.exports.startsWithAnswer = (output, context) => ({
  pass: output.startsWith('Answer'),
  score: 1,
  reason: 'prompt was ' + context.prompt,
});
