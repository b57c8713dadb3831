// transforms of tests/unit/eval/test_transform.cpp.
module.exports = (output) => output.toUpperCase();
module.exports.wrap = (output, context) => '[' + output + ']';
