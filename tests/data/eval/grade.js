// javascript assertions of tests/unit/eval/test_javascript.cpp.
module.exports = (output, context) => output.includes('Paris');
module.exports.score = (output) => 0.25;
module.exports.verdict = (output, context) => ({
  pass: output.includes(context.vars.city),
  score: 0.9,
  reason: 'looked for ' + context.vars.city,
});
module.exports.throws = () => {
  throw new TypeError('no luck');
};
module.exports.text = () => 'no verdict';
